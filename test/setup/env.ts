// Quiet, deterministic defaults for every suite; a suite may override per server.
process.env.LOG_LEVEL ??= 'silent';
process.env.NODE_ENV = 'test';
