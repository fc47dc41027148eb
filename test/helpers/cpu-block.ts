/**
 * The longest the event loop went without running a 10 ms tick, counted in the CPU time the process
 * spent meanwhile, not by the clock: on a loaded machine the same work takes longer by the clock,
 * and a process that waits for a CPU is not blocked by its own work, so a wall-clock lag measured the
 * machine (the fork/eval check of 2.5 s failed 4 times in 5 beside a full test run). CPU time is the
 * whole process's (worker threads' too), so this can only overcount the block.
 */
export function watchBlocks(): { stop(): number } {
  let longest = 0;
  let last = process.cpuUsage();
  const tick = (): void => {
    const used = process.cpuUsage(last);
    longest = Math.max(longest, (used.user + used.system) / 1000);
    last = process.cpuUsage();
  };
  const timer = setInterval(tick, 10);
  return {
    stop() {
      tick();
      clearInterval(timer);
      return longest;
    },
  };
}
