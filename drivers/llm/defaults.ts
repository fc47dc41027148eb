/** Provider defaults, in a module light enough for the CLI to import (no SDKs). */
export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';
export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434/v1';
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
