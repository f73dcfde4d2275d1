import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../graphql/schema';

/** Writes schema.graphql at the repo root from the type-graphql classes (`--check`: fail if stale). */
async function main(): Promise<void> {
  const file = path.resolve(__dirname, '..', '..', '..', 'schema.graphql');
  const sdl = await printAppSchema();
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (process.argv.includes('--check')) {
    if (current !== sdl) {
      process.stderr.write('schema.graphql is stale: run npm run schema\n');
      process.exit(1);
    }
    return;
  }
  if (current !== sdl) fs.writeFileSync(file, sdl);
  process.stdout.write(`schema.graphql ${current === sdl ? 'unchanged' : 'written'}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
