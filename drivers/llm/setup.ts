/** How to name and configure a model: for `aos spawn` without one (kept free of provider SDKs). */
import { DEFAULT_GEMINI_MODEL, OLLAMA_DEFAULT_BASE_URL } from './defaults.js';

export function describeModelSetup(): string {
  return [
    'aos spawn needs a model: pass --model provider:model or set AOS_MODEL. Providers:',
    `  gemini:${DEFAULT_GEMINI_MODEL}   Google Gemini (set GEMINI_API_KEY, or GOOGLE_API_KEY; GEMINI_BASE_URL to point elsewhere)`,
    '  openai:<model>   an OpenAI-compatible endpoint, model name verbatim (e.g. openai:llama3.1:8b):',
    `                   set OPENAI_BASE_URL, e.g. ${OLLAMA_DEFAULT_BASE_URL} for Ollama, and OPENAI_API_KEY if it`,
    '                   needs one (with only OPENAI_API_KEY set, https://api.openai.com/v1 is used;',
    `                   with neither, ${OLLAMA_DEFAULT_BASE_URL})`,
    '  replay:<tape.yaml>   a replay tape: deterministic and offline',
  ].join('\n');
}
