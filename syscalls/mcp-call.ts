import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall, told } from './define.js';

export default defineSyscall({
  name: 'MCP_CALL',
  aliases: ['MCP'],
  summary:
    "Call a tool of an MCP server (the tools you may call are listed below, or by MCP_LIST). Arguments are checked against the tool's schema; a tool error is EIO with the server's message; images and resources come back as references with their size.",
  returns:
    '{truncated, content: [{type:"text", text} | {type:"image"|"audio"|"resource"|"resource_link", uri?, mime_type, bytes}], structured?}',
  args: z
    .object({
      server: z.string().min(1).max(64),
      tool: z.string().min(1).max(128),
      arguments: z.record(z.string(), z.unknown()).optional(),
      timeout_s: z.number().positive().max(param.mcpMaxCallTimeoutS).optional(),
    })
    .strict(),
  normalize: (raw) => {
    const { args, name, ...rest } = raw;
    return { ...rest, arguments: rest.arguments ?? args, tool: rest.tool ?? name };
  },
  capability: { label: 'mcp:<server>/<tool>', kind: 'mcp', of: (args) => `mcp:${args.server}/${args.tool}` },
  run: (args, ctx) =>
    ctx.drivers.mcp
      .call({
        server: args.server,
        tool: args.tool,
        arguments: args.arguments ?? {},
        ...(args.timeout_s !== undefined ? { timeoutS: args.timeout_s } : {}),
      })
      .catch(told(ctx)),
});
