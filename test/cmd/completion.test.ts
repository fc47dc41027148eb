/** `aos completion bash|zsh`, `aos schema`, `aos models`' table: through the real CLI (completion run by a real bash). */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeModels } from '../../cmd/models.js';
import { ROOT, runCli } from '../helpers/cli.js';

async function complete(script: string, words: string[]): Promise<string[]> {
  const program = `eval "$AOS_COMPLETION"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _aos; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await promisify(execFile)('bash', ['-c', program], {
    env: { ...process.env, AOS_COMPLETION: script },
  });
  return stdout.split('\n').filter(Boolean).sort();
}

describe('aos completion', () => {
  it('completes verbs, subcommands and flags from the verb table', async () => {
    const bash = await runCli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(await complete(bash.stdout, ['aos', 'p'])).toEqual(['policy', 'proposals', 'prune', 'ps']);
    expect(await complete(bash.stdout, ['aos', 'ps', '--no'])).toEqual(['--no-trunc']);
    expect(await complete(bash.stdout, ['aos', 'kernel', 're'])).toEqual(['restart']);
    expect(await complete(bash.stdout, ['aos', 'logs', '--s'])).toEqual(['--since']);
    // A subcommand's own flags, from commander's tree.
    expect(await complete(bash.stdout, ['aos', 'kernel', 'status', '--j'])).toEqual(['--json']);
    expect(await complete(bash.stdout, ['aos', 'audit', 've'])).toEqual(['verify']);
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -F _aos aos');
    expect(await runCli(['completion', 'fish'])).toMatchObject({
      code: 1,
      stderr: 'aos: completion is for bash or zsh (got "fish")\n',
    });
  });
});

describe('aos schema', () => {
  it('prints the repository file, whole or one schema', async () => {
    const file = JSON.parse(await readFile(path.join(ROOT, 'docs/schema/aos.schema.json'), 'utf8')) as {
      $defs: Record<string, unknown>;
    };
    expect(JSON.parse((await runCli(['schema'])).stdout)).toEqual(file);
    expect(JSON.parse((await runCli(['schema', 'event'])).stdout)).toEqual(file.$defs.event);
    expect((await runCli(['schema', 'nope'])).stderr).toMatch(
      /^aos: no schema "nope" \(there are: event, ps-row, ps, inspect, spawn-detached, kill, stop, wait, removed, .*policy-check, models, .*mcp-http.*\)\n$/,
    );
  });
});

describe('aos models', () => {
  it('shows each provider, whether it is set up, and its models with windows and prices', () => {
    const text = describeModels({
      default_model: 'gemini:gemini-2.5-flash',
      providers: [
        {
          name: 'gemini',
          title: 'Google Gemini',
          example: 'gemini:gemini-2.5-flash',
          setup: ['set GEMINI_API_KEY'],
          configured: true,
          endpoint: 'https://g.example',
          problem: null,
          settings: ['GEMINI_API_KEY'],
          default_model: 'gemini-2.5-flash',
          patterns: ['gemini-*'],
          models: [
            {
              name: 'gemini-2.5-flash',
              context_window: 1_048_576,
              price: { prompt: 0.3, output: 2.5, cached: 0.075 },
              as_of: '2025-12',
            },
          ],
        },
        {
          name: 'openai',
          title: 'OpenAI-compatible',
          example: 'openai:gpt-4o-mini',
          setup: ['set OPENAI_BASE_URL or OPENAI_API_KEY'],
          configured: false,
          endpoint: null,
          problem: 'no OPENAI_API_KEY',
          settings: ['OPENAI_API_KEY'],
          default_model: null,
          patterns: [],
          models: [],
        },
      ],
    });
    expect(text).toBe(
      [
        'default model: gemini:gemini-2.5-flash',
        '',
        'gemini — Google Gemini: ready at https://g.example',
        '  MODEL             CONTEXT  $/1M IN  $/1M OUT  $/1M CACHED  PRICED',
        '  gemini-2.5-flash     1.0M    0.300      2.50        0.075  2025-12',
        '',
        'openai — OpenAI-compatible: not set up: no OPENAI_API_KEY',
        '  set OPENAI_BASE_URL or OPENAI_API_KEY',
        '  any model, e.g. openai:gpt-4o-mini',
      ].join('\n'),
    );
  });
});
