import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../src/graphql/schema';

const root = path.join(__dirname, '..');

describe('generated artifacts', () => {
  it('schema.graphql is what the code emits (run `npm run schema` after changing the API)', async () => {
    const committed = fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8');
    expect(committed).toBe(await printAppSchema());
  });

  it('the codegen output is up to date with schema.graphql and its documents (run `npm run codegen`)', () => {
    // The codegen plugins load ESM-only modules that jest's module system cannot, so run the CLI's check mode.
    expect(() => execFileSync(path.join(root, 'node_modules', '.bin', 'graphql-codegen'), ['--check', '--silent'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });
});
