/**
 * The daemon's settings (ping, the web view's /api/session, the CLI's drift warnings) carry a secret
 * as its fingerprint only: a variable whose name says credential, upper or lower case, in the usual
 * spellings (AOS_MAIL_PW, AOS_GH_PAT, AOS_IMAP_PASS, AOS_DB_CREDENTIALS), one the daemon's policy
 * reads a secret from whatever its name, and an endpoint's credential query values (`?api_key=`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { describeDrift, diffSettings, fingerprint, settingsOf } from '../../protocol/settings.js';
import { CREDENTIAL_NAME } from '../../sys/credential-names.js';
import { maskUrlPassword } from '../../sys/url-credentials.js';
import { EXIT } from '../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';

const VALUE = 'Zq7xW3vKm9Tt2LpY8sNc4Rb6Hj1D';

describe('settings: secrets as fingerprints', () => {
  it.each(['AOS_MAIL_PW', 'AOS_GH_PAT', 'AOS_IMAP_PASS', 'AOS_DB_CREDENTIALS', 'AOS_DB_PWD', 'AOS_api_token'])(
    '%s is fingerprinted',
    (name) => {
      expect(settingsOf({ [name]: VALUE })).toEqual({ [name]: fingerprint(VALUE) });
    },
  );

  it('names that only look alike are shown as they are', () => {
    const plain = { AOS_PATH_PREFIX: '/opt/aos', AOS_WEB_PORT: '8080', AOS_EMAIL_USER: 'me@example.com' };
    expect(settingsOf(plain)).toEqual(plain);
    for (const name of ['PATH', 'x-github-delivery', 'AOS_COMPAT_MODE', 'AOS_SPAWN_LIMIT'])
      expect(name).not.toMatch(CREDENTIAL_NAME);
  });

  it("an OTEL endpoint's credential query values are fingerprinted, its other parameters kept", () => {
    const endpoint = `https://collector.example/v1/traces?region=eu&api_key=${VALUE}&access_token=${VALUE}`;
    const shown = settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
    expect(shown).not.toContain(VALUE);
    expect(shown).toBe(
      `https://collector.example/v1/traces?region=eu&api_key=${fingerprint(VALUE)}&access_token=${fingerprint(VALUE)}`,
    );
    expect(maskUrlPassword(`https://h/x?Api%5FKey=${VALUE}&sig_pass=${VALUE}`)).toBe(
      'https://h/x?Api%5FKey=***&sig_pass=***',
    );
  });

  it("a policy secret's variable is fingerprinted whatever its name, and a CLI that shows it whole sees no drift", () => {
    const env = { AOS_MAILBOX: VALUE, AOS_WEB_PORT: '8080' };
    const kernel = settingsOf(env, ['AOS_MAILBOX']);
    expect(kernel).toEqual({ AOS_MAILBOX: fingerprint(VALUE), AOS_WEB_PORT: '8080' });
    // The CLI has not read the policy: its own value is compared, and shown, as a fingerprint.
    expect(diffSettings(settingsOf(env), kernel)).toEqual([]);
    const drift = diffSettings(settingsOf({ ...env, AOS_MAILBOX: 'another-value-entirely' }), kernel);
    expect(drift.map((d) => d.name)).toEqual(['AOS_MAILBOX']);
    expect(describeDrift(drift).join('\n')).not.toContain('another-value-entirely');
    expect(describeDrift(drift).join('\n')).not.toContain(VALUE);
  });
});

describe("the daemon's ping (the CLI's drift check, the web view's /api/session)", () => {
  let fx: ServerFixture | null = null;
  afterEach(async () => {
    await fx?.close();
    fx = null;
    delete process.env.AOS_RT_MAILBOX;
  });

  it("fingerprints the variable its policy's secret is read from, though its name does not say so", async () => {
    process.env.AOS_RT_MAILBOX = VALUE;
    const policy =
      'version: 1\nroot: {capabilities: [exec]}\nsecrets:\n  MAIL: {from_env: AOS_RT_MAILBOX, hosts: ["imap.example.com"]}\n';
    fx = await startServer({ root: [EXIT] }, { safety: parsePolicy(policy, 'settings').safety });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'ping', params: {} });
    const answer = await c.next();
    c.socket.destroy();
    expect(answer).toMatchObject({ id: 1, ok: true });
    expect(JSON.stringify(answer)).not.toContain(VALUE);
    expect((answer.result as { settings: Record<string, string> }).settings.AOS_RT_MAILBOX).toBe(fingerprint(VALUE));
  });
});
