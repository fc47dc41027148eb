/**
 * The limits of context threads and episodic recall (issue 33), spread into `param` (param.ts):
 * still one object for every limit. Numbers only, no imports.
 */
export const threadParam = {
  /** A thread key's length; an entry's text; threads attached to one process. */
  threadKeyMaxChars: 128,
  threadEntryMaxChars: 16 * 1024,
  threadMaxAttached: 8,
  /** The share of a process's context budget its attached threads take in its system prompt, all of them together (never more). */
  threadAttachShare: 0.2,
  /** Of one thread's room there, the most its summary takes (the rest is its newest entries). */
  threadAttachSummaryShare: 0.5,
  /**
   * A fold of the rolling summary leaves verbatim the newest entries within threadRecentChars of
   * text — at least the newest one, at most threadRecentEntries — so an entry is shown once: in
   * the summary or whole. THREAD_OPEN and an attached thread show the newest entry whole always.
   */
  ...{ threadRecentEntries: 8, threadRecentChars: 3_000 },
  /** Entries after the summary THREAD_OPEN and an attached thread are given at most (THREAD_READ pages the rest). */
  threadViewMaxEntries: 100,
  /** THREAD_READ's page, default and most; THREAD_LIST's rows at most. */
  ...{ threadReadDefault: 50, threadReadMax: 500, threadListMax: 500 },
  /** The entries' text one THREAD_READ page, or the entries after the summary THREAD_OPEN gives, hold at most (a result is stored whole). */
  ...{ threadReadMaxChars: 256 * 1024, threadViewMaxChars: 64 * 1024 },
  /**
   * The rolling summary is brought up to date (a model call, paid by the process that asked) when
   * the entries it does not cover hold more than this many characters, leaving the newest
   * verbatim (threadRecentChars); one summary call reads at most threadSummaryInputChars of them.
   */
  threadSummaryAfterChars: 6_000,
  threadSummaryInputChars: 48_000,
  /**
   * The summary's length at most; a fold asks for the summary so far plus threadSummaryRatio of the
   * new entries' text (at least threadSummaryMinChars): a summary shorter than what it folds.
   */
  ...{ threadSummaryChars: 3_000, threadSummaryRatio: 0.5, threadSummaryMinChars: 600 },
  /** A thread keeps at most this many entries: past it the oldest ones its summary covers are dropped. */
  threadMaxEntries: 100_000,
  /** HISTORY_SEARCH: hits per call (default and most), an excerpt's characters around the first word found. */
  ...{ historyHitsDefault: 10, historyHitsMax: 50, historyExcerptChars: 240 },
  /** HISTORY_SEARCH brings the full-text index up to date in steps of about this long, at most this many events each (the kernel's other work goes between). */
  ...{ historyIndexStepMs: 20, historyIndexChunk: 2_000 },
};
