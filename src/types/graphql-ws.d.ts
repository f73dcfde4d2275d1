// graphql-ws exposes `graphql-ws/use/ws` through package exports, which the "node" module
// resolution used here does not read; point the types at the file it maps to.
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}
