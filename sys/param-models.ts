/**
 * How long a model provider may take, spread into `param` (param.ts): still one object for every
 * limit. The defaults of AOS_LIMITS's per-provider deadlines (sys/model-limits.ts reads them and
 * names the setting in each failure). Numbers only, no imports.
 */
export const modelParam = {
  /**
   * first_byte_s: how long a request may go without the first byte of its answer (headers, or the
   * first piece of a stream) before the driver asks the server whether it is there at all (probe
   * below); no answer to that either, and the endpoint is reported dead, not retried: 45 + 10 s, a
   * dead endpoint is said within a minute. A server that is there and still thinking is not cut
   * here (reply_s bounds it): reasoning models send nothing until their first visible token (10 to
   * 60 s is common for o-series and gpt-5 at medium effort on chat completions, Gemini 2.5 Pro and
   * DeepSeek-R1; some hosts hold even the headers that long), and a whole (unstreamed) reply's first
   * byte is its last.
   */
  modelFirstByteS: 45,
  /** The probe's own limit (first_byte_s when that is shorter): any HTTP answer (a 404 too) says a server is there. */
  modelProbeS: 10,
  /**
   * idle_s: once a stream has sent data, the most it may go without another byte. A live stream
   * sends a piece per token or so (tens of milliseconds; keep-alive comments while a host thinks):
   * a minute of nothing mid-reply is a stalled connection. Retried, as a cut stream is.
   */
  modelIdleS: 60,
  /**
   * reply_s: one attempt, whole, from the request to the last byte of its answer: bounds a server
   * that is there but never finishes. 300 s: a whole reply of the default bound (8,192 tokens,
   * modelMaxOutputTokens) at a slow 30 tokens/s takes 270 s. Retried, as a timeout always was.
   */
  modelReplyS: 300,
} as const;
