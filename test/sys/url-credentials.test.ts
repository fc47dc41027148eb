/** A URL's password is never shown: masked in every form a database URL takes (issue 36). */
import { describe, expect, it } from 'vitest';
import { maskUrlPassword } from '../../sys/url-credentials.js';
import { diffSettings, settingsOf } from '../../protocol/settings.js';

describe('maskUrlPassword', () => {
  it.each([
    ['postgres://aos:hunter2@db.example:5432/aos', 'postgres://aos:***@db.example:5432/aos'],
    ['postgresql://aos:hun%40ter2@[::1]/aos', 'postgresql://aos:***@[::1]/aos'],
    ['postgres://aos:p@ss@host/aos', 'postgres://aos:***@host/aos'],
    [
      'postgres://aos@/aos?host=%2Frun%2Fpostgresql&password=hunter2',
      'postgres://aos@/aos?host=%2Frun%2Fpostgresql&password=***',
    ],
    ['postgres:///aos?PASSWORD=hunter2&sslmode=require', 'postgres:///aos?PASSWORD=***&sslmode=require'],
    ['http://user:hunter2@proxy:8080/v1', 'http://user:***@proxy:8080/v1'],
    ['postgres://aos@/aos?host=/tmp/x', 'postgres://aos@/aos?host=/tmp/x'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
  ])('%s', (url, shown) => {
    expect(maskUrlPassword(url)).toBe(shown);
    expect(maskUrlPassword(url)).not.toMatch(/hunter2|hun%40ter2|p@ss/);
  });

  it('the settings a verb compares with the daemon carry a fingerprint of the password, not the password', () => {
    const one = settingsOf({ AOS_DATABASE_URL: 'postgres://aos:hunter2@db/aos' });
    const two = settingsOf({ AOS_DATABASE_URL: 'postgres://aos:other@db/aos' });
    expect(JSON.stringify(one)).not.toContain('hunter2');
    expect(one.AOS_DATABASE_URL).toMatch(/^postgres:\/\/aos:sha256:[0-9a-f]{12}@db\/aos$/);
    // A changed password is still a difference the drift warning reports.
    expect(diffSettings(one, two).map((d) => d.name)).toEqual(['AOS_DATABASE_URL']);
  });

  it("AOS_NODE is the daemon's own when the caller has none: compared only when the caller sets it", () => {
    const kernel = settingsOf({ AOS_NODE: 'a' });
    expect(diffSettings(settingsOf({}), kernel)).toEqual([]);
    expect(diffSettings(settingsOf({ AOS_NODE: 'b' }), kernel).map((d) => d.name)).toEqual(['AOS_NODE']);
  });
});
