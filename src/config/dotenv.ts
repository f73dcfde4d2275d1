import fs from 'node:fs';
import path from 'node:path';

/**
 * Imported first by the entry points (src/main.ts, src/cli/*), for its effect: loads `.env` from
 * the working directory into process.env with Node's own parser (process.loadEnvFile, Node 20.12+),
 * before any module reads the environment. A variable the environment already has, even empty,
 * wins over the file. `.env` is git-ignored: it holds a developer's stable JWT_SECRET and
 * TOTP_ENCRYPTION_KEY, so that tokens survive a restart. Tests never load it (the kit starts
 * server processes in another directory).
 */
const file = path.resolve('.env');
if (fs.existsSync(file)) process.loadEnvFile(file);
