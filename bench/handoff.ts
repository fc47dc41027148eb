/**
 * Handoff through a context thread against handoff through files (issue 33): the prompt tokens
 * five agents in sequence spend on one client when each hands its notes to the next:
 *
 *   - "files":  each agent writes its notes to a file (FS_WRITE) and every later agent re-reads all
 *               the earlier agents' files (one FS_READ each) before it does its step;
 *   - "thread": each agent THREAD_APPENDs its notes to `client:acme` and every later agent is spawned
 *               with `attach: ['client:acme']`: the thread's summary and newest entries are in its
 *               system prompt (kernel/ipc/thread-prompt.ts) and it reads nothing.
 *
 * The workload (bench/handoff-notes.ts): Acme Freight Ltd, handled by intake → research → pricing →
 * billing → follow-up, on up to three visits (onboarding, pilot conversion, an outage and its
 * credit). Each agent does one lookup for its step (the email, the CRM lead, the price book, the
 * ledger, the calendar: the same file and the same words in both variants), then hands off its
 * notes: ~0.7k characters from intake, 1.1k-1.4k from the middle three, 1.8k-2.1k from follow-up
 * (~6.3k a visit), exactly the same text in both variants. Per agent:
 *
 *   files:  turn 0 reads the earlier notes (all of them, in as few replies as the kernel shows
 *           whole: one kernel message holds contextMessageShare of the budget, each of its n results
 *           1/n of it; intake's email is read in the same reply), then the lookup, then FS_WRITE +
 *           SYS_EXIT. The paths are given in the task, so no FS_LIST is needed: files' best case.
 *           The lookup comes after the reading: what to look up (which lead, which price-book page,
 *           which incident) is in the notes, and an agent reads its context before it works.
 *   files, batched: the same, but the lookup is made in the last reading reply (a model that knows
 *           its lookup in advance): one request fewer, files' cheapest case. Reported beside the
 *           others, without a target: it shows where the thread's saving comes from.
 *   thread: turn 0 the lookup, then THREAD_APPEND + SYS_EXIT.
 *
 * Where the difference comes from: an attached thread is in every request of the agent from its
 * first, where read notes are in the requests after the read; so the thread saves the reading
 * request (a system prompt and the task: ~1.6k tokens here, the prompt listing only the syscalls
 * the agents' capabilities allow) and, over visits, the notes that files keep re-sending while the
 * thread shows a bounded summary and its newest entries (threadRecentChars). Against files read in
 * the same reply as the lookup, a single visit costs the thread more. At one visit, where the thread
 * shows every note as files do, the saving is that one request of an agent's three, so under a
 * third whatever the prompt's size (intake, the first, reads nothing in either): the visit-1 target
 * of 40 % is out of reach by arithmetic unless the thread shows less than the notes. A smaller
 * system prompt lowers that share while it lowers both variants' tokens a task.
 *
 * Every agent's replay tape checks (`expect`) that what it needs arrived: the end line of each
 * note it read (files), of the newest entry in its system prompt (thread), and of its lookup; a
 * check that fails stops the agent, and the benchmark fails. A real kernel (Kernel.create, a temp
 * workspace, a SQLite store file, the tapes on disk) runs each variant; the agents run one after
 * another, as a unit or a person would start them after the one before ends.
 *
 * What is counted: every request the kernel sends the model, at the driver (the tape's driver is
 * wrapped, as bench/context.ts does), sized as the kernel sizes it: estimateTokens
 * (kernel/context/context-budget.ts), system prompt + all messages at param.contextCharsPerToken
 * (4) characters a token. The wrapper's id is not `replay:`, so the kernel takes the path it takes
 * with a real model when a thread's rolling summary is due (kernel/loop/thread-summary.ts): the
 * summary request is sent to the driver and counted in the thread variant's tokens (on the agent
 * whose turn brought it). Its reply is a stand-in — the start of every entry it covers, filling
 * the whole threadSummaryChars the kernel allows, so the summary in later prompts is as large as a
 * model's could be. A context compaction (not expected at these sizes) would be counted the same way.
 *
 * Also checked, for the thread: how many earlier entries an agent's first prompt shows neither in
 * the summary nor verbatim (`entries_not_shown`, target 0). This bench found 6 such entries when the
 * system prompt was built before the turn's threadUpkeep brought the summary up to date; the kernel
 * now brings it up to date first and shows every entry the summary does not cover yet.
 *
 *   node --import tsx bench/handoff.ts [--visits 3] [--trace] [--show followup-v3]
 *
 * The run of one variant is handoff-run.ts, the figures and the table handoff-report.ts.
 */
import { STEPS, VISITS } from './handoff-notes.js';
import { handoffResult } from './handoff-report.js';
import { runVariant } from './handoff-run.js';
import { flag, report } from './report.js';

const visits = Math.min(VISITS.length, Math.max(1, Number(flag('visits', '3'))));
const name = flag('name', 'handoff');
/** `--trace`: each request's size on stderr; `--show <agent>`: that agent's requests whole. */
const options = { visits, trace: process.argv.includes('--trace'), show: flag('show', '') };

const files = await runVariant('files', options);
const batched = await runVariant('files-batched', options);
const thread = await runVariant('thread', options);

const { result, figures, table } = handoffResult(name, visits, files, batched, thread);
report(
  name,
  {
    ...result,
    notes_chars_per_visit: VISITS.slice(0, visits).map((v) => STEPS.reduce((n, s) => n + v[s].notes.length, 0)),
  },
  figures,
);
process.stdout.write(`${table}\n`);
