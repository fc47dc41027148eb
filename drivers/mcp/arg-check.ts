/**
 * Arguments are checked against the tool's JSON Schema before the call, with the validator the
 * SDK itself uses (ajv, through its AjvJsonSchemaValidator): EINVAL naming the field, and the
 * server never sees what its schema refuses.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { AosError } from '../../sys/errno.js';
import type { McpTool } from './types.js';

const ajv = new AjvJsonSchemaValidator();
/** Compiled once per listed tool: a refreshed list brings new tool objects. */
const compiled = new WeakMap<McpTool, JsonSchemaValidator<unknown>>();

function validatorOf(tool: McpTool, server: string): JsonSchemaValidator<unknown> {
  let validate = compiled.get(tool);
  if (!validate) {
    try {
      validate = ajv.getValidator<unknown>(tool.inputSchema as JsonSchemaType);
    } catch (error) {
      throw new AosError(
        'EIO',
        `${server}/${tool.name} has an input schema that cannot be used: ${(error as Error).message}`,
      );
    }
    compiled.set(tool, validate);
  }
  return validate;
}

export function checkToolArguments(tool: McpTool, server: string, args: Record<string, unknown>): void {
  const result = validatorOf(tool, server)(args);
  if (!result.valid) {
    // ajv says "data/message must be string": the field, as the model wrote it, is after "data/".
    const message = result.errorMessage.replace(/\bdata\//g, '').replace(/\bdata\b/g, 'arguments');
    throw new AosError('EINVAL', `bad arguments for ${server}/${tool.name}: ${message}`);
  }
}
