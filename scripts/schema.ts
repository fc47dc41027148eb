// Writes docs/schema/aos.schema.json from the zod schemas of protocol/schemas.ts: npm run schema
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedJsonSchema } from '../protocol/schemas.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'schema', 'aos.schema.json');
writeFileSync(file, `${JSON.stringify(publishedJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
