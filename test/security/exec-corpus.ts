/**
 * The adversarial exec corpus (issue 27): every way we know for a command line to come to run a
 * program a rule denies — wrappers with their options, shell syntax the first check misreads,
 * interpreters and command runners, renamed copies and links, encoded names. Each case is a
 * function of its victim file; run without rules it must delete the victim (the control proves
 * the spelling works here), run under `deny: "exec:rm *"` it must not. Add every bypass found.
 */

export interface ExecCase {
  /** What the spelling is, for the report. */
  name: string;
  /** The command line, deleting `victim` (a file name in the workspace, the cwd). */
  cmd(victim: string): string;
  /** Host programs it needs; the case is skipped where one is missing. */
  needs?: string[];
}

/** Shell single quoting. */
export function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Prefixes that run `rm <victim>` as their command: wrappers with and without their options. */
const PREFIXES: Array<[string, string[]?]> = [
  [''],
  ['command '],
  ['command -p '],
  ['builtin command '],
  ['env '],
  ['env -i '],
  ['env -u HOME '],
  ['env --unset HOME '],
  ['env --unset=HOME '],
  ['env X=1 '],
  ['env -C . '],
  ['env -- '],
  ['nice '],
  ['nice -n 5 '],
  ['nice -n5 '],
  ['nice --adjustment 5 '],
  ['nice --adjustment=5 '],
  ['nohup '],
  ['setsid '],
  ['setsid -w '],
  ['stdbuf -o0 '],
  ['stdbuf --output 0 '],
  ['stdbuf -oL -eL '],
  ['ionice -c 3 '],
  ['ionice --class 3 '],
  ['ionice -c3 '],
  ['taskset 1 '],
  ['taskset -c 0 '],
  ['chrt -o 0 '],
  ['chrt --other 0 '],
  ['time '],
  ['time -p '],
  ['timeout 10 '],
  ['timeout -s KILL 10 '],
  ['timeout --kill-after 1 10 '],
  ['timeout --signal=TERM 10 '],
  ['prlimit '],
  ['prlimit --nofile=32 '],
  ['flock /tmp/lock '],
  ['flock -w 5 /tmp/lock '],
  ['setpriv '],
  ['setpriv --reset-env '],
  ['X=1 '],
  ['X=1 Y=2 env '],
  ['nice env timeout 10 '],
  ['/usr/bin/env '],
  ['exec -a ls '],
  ['\\'],
  ['"${EMPTY}"'],
];

/** Spellings of `rm` itself. */
const NAMES: string[] = [
  'rm',
  '/bin/rm',
  '/usr/bin/rm',
  '../usr/bin/rm',
  '"rm"',
  "r''m",
  'r\\m',
  '$(printf rm)',
  '`echo rm`',
  '${R:-rm}',
  "$'\\x72\\x6d'",
  '/usr/bin/r[m]',
  '/???/bin/r?',
  '$(echo /bin/rm)',
];

function simple(prefix: string, victim: string, name = 'rm'): string {
  if (prefix.startsWith('exec ')) return `(${prefix}${name} ${victim})`;
  return `${prefix}${name} ${victim}`;
}

const shells = (line: string): Array<[string, string]> => [
  ['bash -c', `bash -c ${sq(line)}`],
  ['bash -c --', `bash -c -- ${sq(line)}`],
  ['sh -c', `sh -c ${sq(line)}`],
  ['eval', `eval ${sq(line)}`],
  ['python3 os.system', `python3 -c ${sq(`import os; os.system(${JSON.stringify(line)})`)}`],
];

export function execCorpus(): ExecCase[] {
  const cases: ExecCase[] = [];
  for (const [prefix] of PREFIXES)
    cases.push({ name: `prefix ${JSON.stringify(prefix)}`, cmd: (v) => simple(prefix, v) });
  for (const name of NAMES.slice(1)) cases.push({ name: `name ${name}`, cmd: (v) => `${name} ${v}` });
  for (const [prefix] of PREFIXES.slice(1, 20)) {
    for (const [how, wrap] of shells(simple(prefix, 'VICTIM'))) {
      // `builtin` is bash's: dash (sh, python's os.system) has none.
      if (prefix.startsWith('builtin') && !how.startsWith('bash')) continue;
      cases.push({ name: `${how} + ${JSON.stringify(prefix)}`, cmd: (v) => wrap.replaceAll('VICTIM', v) });
    }
  }
  cases.push(
    { name: 'rbash -c', cmd: (v) => `rbash -c ${sq(`rm ${v}`)}`, needs: ['rbash'] },
    { name: 'dash -c', cmd: (v) => `dash -c ${sq(`rm ${v}`)}`, needs: ['dash'] },
    { name: 'bash stdin', cmd: (v) => `echo ${sq(`rm ${v}`)} | bash` },
    { name: 'bash here-doc', cmd: (v) => `bash <<'EOF'\nrm ${v}\nEOF` },
    { name: 'function keyword', cmd: (v) => `function f { rm ${v}; }; f` },
    { name: 'function parens', cmd: (v) => `f() { rm ${v}; }; f` },
    { name: 'coproc', cmd: (v) => `coproc { rm ${v}; }; wait` },
    { name: 'trap EXIT', cmd: (v) => `trap ${sq(`rm ${v}`)} EXIT; true` },
    { name: 'arithmetic subscript', cmd: (v) => `x='a[$(rm ${v})]'; echo $((x))` },
    { name: 'printf -v', cmd: (v) => `printf -v 'a[$(rm ${v})]' x` },
    { name: 'let', cmd: (v) => `let 'a[$(rm ${v})]=1'` },
    { name: 'declare -i', cmd: (v) => `declare -i y='a[$(rm ${v})]'` },
    { name: 'hash -p', cmd: (v) => `hash -p /bin/rm zap; zap ${v}` },
    { name: 'alias', cmd: (v) => `shopt -s expand_aliases; alias zap=rm; eval 'zap ${v}'` },
    {
      name: 'alias in a script',
      cmd: (v) => `printf 'shopt -s expand_aliases\\nalias zap=rm\\nzap ${v}\\n' > al-${v}.sh && bash al-${v}.sh`,
    },
    { name: 'array', cmd: (v) => `a=(rm ${v}); "\${a[@]}"` },
    { name: 'variable', cmd: (v) => `X=rm; $X ${v}` },
    { name: 'IFS split', cmd: (v) => `X=rm:${v}; IFS=:; $X` },
    { name: 'brace', cmd: (v) => `{rm,${v}}` },
    { name: 'process substitution', cmd: (v) => `cat <(rm ${v})` },
    { name: 'command substitution', cmd: (v) => `echo $(rm ${v})` },
    { name: 'backticks', cmd: (v) => `echo \`rm ${v}\`` },
    { name: 'source', cmd: (v) => `echo ${sq(`rm ${v}`)} > s-${v}; . ./s-${v}` },
    { name: 'python3 subprocess', cmd: (v) => `python3 -c ${sq(`import subprocess; subprocess.run(["rm", "${v}"])`)}` },
    { name: 'python3 execv', cmd: (v) => `python3 -c ${sq(`import os; os.execv("/bin/rm", ["rm", "${v}"])`)}` },
    {
      name: 'python3 spawnvp',
      cmd: (v) => `python3 -c ${sq(`import os; os.spawnvp(os.P_WAIT, "rm", ["rm", "${v}"])`)}`,
    },
    {
      name: 'python3 memfd',
      cmd: (v) =>
        `python3 -c ${sq(`import os; fd = os.memfd_create("x"); os.write(fd, open("/bin/rm", "rb").read()); os.execv(f"/proc/self/fd/{fd}", ["rm", "${v}"])`)}`,
    },
    {
      name: 'python3 thread exec',
      cmd: (v) =>
        `python3 -c ${sq(`import os, threading; t = threading.Thread(target=lambda: os.execv("/bin/rm", ["rm", "${v}"])); t.start(); t.join()`)}`,
    },
    { name: 'perl system', cmd: (v) => `perl -e ${sq(`system("rm", "${v}")`)}`, needs: ['perl'] },
    { name: 'perl exec', cmd: (v) => `perl -e ${sq(`exec("/bin/rm", "${v}")`)}`, needs: ['perl'] },
    {
      name: 'node execSync',
      cmd: (v) => `node -e ${sq(`require("child_process").execFileSync("rm", ["${v}"])`)}`,
      needs: ['node'],
    },
    { name: 'awk system', cmd: (v) => `awk ${sq(`BEGIN{system("rm ${v}")}`)}`, needs: ['awk'] },
    { name: 'awk pipe', cmd: (v) => `awk ${sq(`BEGIN{print "x" | "rm ${v}"}`)}`, needs: ['awk'] },
    { name: 'sed e', cmd: (v) => `echo x | sed ${sq(`1e rm ${v}`)}`, needs: ['sed'] },
    { name: 'sed s///e', cmd: (v) => `echo x | sed ${sq(`s/.*/rm ${v}/e`)}`, needs: ['sed'] },
    {
      name: 'tar checkpoint',
      cmd: (v) => `tar --checkpoint=1 --checkpoint-action=exec=${sq(`rm ${v}`)} -cf /dev/null /etc/passwd`,
      needs: ['tar'],
    },
    { name: 'script -c', cmd: (v) => `script -qc ${sq(`rm ${v}`)} /dev/null`, needs: ['script'] },
    { name: 'flock -c', cmd: (v) => `flock /tmp/lock -c ${sq(`rm ${v}`)}`, needs: ['flock'] },
    { name: 'make', cmd: (v) => `printf 'all:\\n\\trm ${v}\\n' > mk-${v}; make -s -f mk-${v}`, needs: ['make'] },
    { name: 'find -exec', cmd: (v) => `find . -name ${v} -exec rm {} \\;` },
    { name: 'find -execdir', cmd: (v) => `find . -name ${v} -execdir rm {} +` },
    { name: 'xargs stdin', cmd: (v) => `echo ${v} | xargs rm` },
    { name: 'xargs --max-args', cmd: (v) => `echo ${v} | xargs --max-args 1 rm` },
    { name: 'xargs -I', cmd: (v) => `echo ${v} | xargs -I{} rm {}` },
    { name: 'xargs sh -c', cmd: (v) => `echo ${v} | xargs sh -c 'rm "$0"'` },
    { name: 'copy', cmd: (v) => `cp /bin/rm zap-${v} && ./zap-${v} ${v}` },
    { name: 'copy by cat', cmd: (v) => `cat /bin/rm > zc-${v} && chmod +x zc-${v} && ./zc-${v} ${v}` },
    { name: 'copy by dd', cmd: (v) => `dd if=/bin/rm of=zd-${v} status=none && chmod 755 zd-${v} && ./zd-${v} ${v}` },
    { name: 'copy by install', cmd: (v) => `install -m 755 /bin/rm zi-${v} && ./zi-${v} ${v}` },
    { name: 'copy in /tmp', cmd: (v) => `cp /bin/rm /tmp/zap && /tmp/zap ${v}` },
    { name: 'copy in /dev/shm', cmd: (v) => `cp /bin/rm /dev/shm/zap && /dev/shm/zap ${v}` },
    {
      name: 'copy on PATH as ls',
      cmd: (v) => `mkdir -p b-${v} && cp /bin/rm b-${v}/ls && PATH=./b-${v}:$PATH ls ${v}`,
    },
    { name: 'symlink', cmd: (v) => `ln -s /bin/rm ln-${v} && ./ln-${v} ${v}` },
    { name: 'symlink chain', cmd: (v) => `ln -s /usr/bin/rm l1-${v} && ln -s l1-${v} l2-${v} && ./l2-${v} ${v}` },
    { name: 'shebang rm', cmd: (v) => `printf '#!/bin/rm\\n' > sb-${v} && chmod +x sb-${v} && ./sb-${v} ${v}` },
    { name: 'script file', cmd: (v) => `printf 'rm ${v}\\n' > s-${v}.sh && chmod +x s-${v}.sh && ./s-${v}.sh` },
    { name: 'bash script file', cmd: (v) => `printf 'rm ${v}\\n' > bs-${v}.sh && bash bs-${v}.sh` },
    {
      name: 'env shebang',
      cmd: (v) => `printf '#!/usr/bin/env rm\\n' > es-${v} && chmod +x es-${v} && ./es-${v} ${v}`,
    },
    {
      name: 'loader',
      cmd: (v) => `$(ls /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.* 2>/dev/null | head -1) /bin/rm ${v}`,
    },
    { name: 'fd exec', cmd: (v) => `exec 3</bin/rm; /proc/self/fd/3 ${v}` },
    { name: 'exec -a', cmd: (v) => `(exec -a ls rm ${v})` },
    { name: 'exec -c', cmd: (v) => `(exec -c rm ${v})` },
    { name: 'nested quotes', cmd: (v) => `bash -c "bash -c 'rm ${v}'"` },
    { name: 'base64 command', cmd: (v) => `echo ${Buffer.from(`rm ${v}`).toString('base64')} | base64 -d | bash` },
    { name: 'hex name', cmd: (v) => `$(printf '\\x2f\\x62\\x69\\x6e\\x2f\\x72\\x6d') ${v}` },
    { name: 'rev name', cmd: (v) => `$(echo mr | rev) ${v}` },
    { name: 'background', cmd: (v) => `rm ${v} & wait` },
    { name: 'pipeline end', cmd: (v) => `true | rm ${v}` },
    { name: 'nohup in background', cmd: (v) => `nohup rm ${v} >/dev/null 2>&1 & wait` },
    { name: 'watch-free loop', cmd: (v) => `for c in rm; do $c ${v}; done` },
    { name: 'case', cmd: (v) => `case x in x) rm ${v};; esac` },
    { name: 'select', cmd: (v) => `select x in a; do rm ${v}; break; done <<< 1` },
    {
      name: 'perl exec with another argv0',
      cmd: (v) => `perl -e ${sq(`exec {"/bin/rm"} "ls", "${v}"`)}`,
      needs: ['perl'],
    },
    {
      name: 'python3 posix_spawn',
      cmd: (v) => `python3 -c ${sq(`import os, time; os.posix_spawn("/bin/rm", ["rm", "${v}"], {}); time.sleep(0.3)`)}`,
    },
    {
      name: 'python3 O_PATH dir fd',
      cmd: (v) =>
        `python3 -c ${sq(`import os; fd = os.open("/bin", os.O_PATH); os.execv("/proc/self/fd/%d/rm" % fd, ["rm", "${v}"])`)}`,
    },
    {
      name: 'python3 CLONE_UNTRACED',
      cmd: (v) =>
        `python3 -c ${sq(`import os, ctypes; pid = ctypes.CDLL(None).syscall(56, 0x00800000 | 17, 0, 0, 0, 0)
if pid == 0: os.execv("/bin/rm", ["rm", "${v}"])
else: os.waitpid(pid, 0)`)}`,
    },
    {
      name: 'python3 undumpable',
      cmd: (v) =>
        `python3 -c ${sq(`import os, ctypes; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); os.execv("/bin/rm", ["rm", "${v}"])`)}`,
    },
    { name: 'env -S', cmd: (v) => `env -S ${sq(`rm ${v}`)}` },
    { name: 'xargs -a', cmd: (v) => `echo ${v} > xa-${v} && xargs -a xa-${v} rm` },
    {
      name: 'awk getline pipe',
      cmd: (v) => `awk ${sq(`BEGIN { while (("rm ${v}" | getline line) > 0) print line }`)}`,
      needs: ['awk'],
    },
    { name: 'script in /dev/shm', cmd: (v) => `printf 'rm ${v}\\n' > /dev/shm/s-${v} && bash /dev/shm/s-${v}` },
    { name: 'execute-only copy', cmd: (v) => `cp /bin/rm /tmp/xo-${v} && chmod 111 /tmp/xo-${v} && /tmp/xo-${v} ${v}` },
  );
  return cases;
}
