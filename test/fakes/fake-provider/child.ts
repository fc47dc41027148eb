/** The fake provider in a process of its own, driven over IPC by remote.ts. */
import { startFakeProvider } from '../fake-provider.js';
import { behaviorOf, type FakeScript } from './script.js';

export type ChildMessage =
  | { type: 'stats' }
  | { type: 'cpu' }
  | { type: 'set'; patch: Partial<FakeScript> }
  | { type: 'reset'; script: FakeScript }
  | { type: 'close' };

let script = JSON.parse(process.env.AOS_FAKE_SCRIPT ?? '{"latencyMs":{}}') as FakeScript;
// Driven over IPC, it is asked for stats only: it counts requests and keeps none (record: false).
const fake = await startFakeProvider({ ...behaviorOf(() => script), record: false });
const send = (message: unknown): void => {
  process.send?.(message);
};
process.on('message', (message: ChildMessage) => {
  if (message.type === 'stats') send({ type: 'stats', stats: fake.stats() });
  else if (message.type === 'cpu') send({ type: 'cpu', cpu: process.cpuUsage() });
  else if (message.type === 'set') {
    script = { ...script, ...message.patch };
    fake.setBehavior({ maxConcurrent: script.maxConcurrent });
    send({ type: 'set' });
  } else if (message.type === 'reset') {
    fake.reset();
    script = message.script;
    fake.setBehavior({ maxConcurrent: script.maxConcurrent });
    send({ type: 'reset' });
  } else {
    void fake.close().then(() => process.exit(0));
  }
});
// The parent went away without saying goodbye: do not linger.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', url: fake.url });
