/**
 * `aos service status --json` (cmd/service.ts): whether the systemd unit of this AOS_HOME is
 * installed, enabled and active, and its file of secrets — as a zod schema published by `aos schema`
 * and the type the verb prints, checked against each other at compile time.
 */
import { z } from 'zod';

export const serviceStatusSchema = z
  .object({
    unit: z.string().describe('the unit file: ~/.config/systemd/user/aos.service, /etc/systemd/system/… or --unit-dir'),
    installed: z.boolean().describe('the unit file exists'),
    enabled: z
      .string()
      .describe(
        'systemctl is-enabled (enabled, disabled, …); "not installed"; "unknown: <why>" where systemctl cannot be asked',
      ),
    active: z.string().describe('systemctl is-active (active, inactive, failed, …); "not installed"; "unknown: <why>"'),
    env_file: z.string().nullable().describe('$AOS_HOME/service.env (mode 0600) when it exists'),
    secrets: z.number().int().nonnegative().describe('variables the environment file holds (their values never shown)'),
  })
  .describe('aos service status --json');

export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

export const SERVICE_VERB_SCHEMAS = { 'service-status': serviceStatusSchema } as const;
