/*
 * Naming what a process just executed, and deciding on it: a program no rule names is let go, one
 * a rule names (or one nothing can name) is put to the kernel, and the answer lets it go or kills
 * it before its first instruction.
 */
#include "exec-gate.h"

/* ---- naming what was executed ---- */

/* Whether the open file `fd` holds exactly the bytes of `path`. */
int same_bytes(int fd, const char *path, off_t size) {
  int other = open(path, O_RDONLY | O_CLOEXEC);
  if (other < 0) return 0;
  static char a[65536], b[65536];
  off_t at = 0;
  int same = 1;
  while (same && at < size) {
    ssize_t ga = pread(fd, a, sizeof a, at);
    ssize_t gb = pread(other, b, sizeof b, at);
    if (ga <= 0 || ga != gb || memcmp(a, b, (size_t)ga) != 0) same = 0;
    else at += ga;
  }
  close(other);
  return same && at == size;
}


static void name_exe(pid_t pid, struct naming *n) {
  char link[64];
  snprintf(link, sizeof link, "/proc/%d/exe", pid);
  n->prog = NULL;
  n->how = "file";
  n->path[0] = 0;
  /* One statx names most programs: a rule's file by device and inode, a system one by its mount. */
  struct statx sx;
  if (statx(AT_FDCWD, link, 0, STATX_INO | STATX_SIZE | STATX_MNT_ID, &sx) != 0) {
    n->how = "written";
    return;
  }
  dev_t dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  for (int i = 0; i < nprogs; i++) {
    if (progs[i].dev == dev && progs[i].ino == (ino_t)sx.stx_ino) {
      n->prog = &progs[i];
      break;
    }
  }
  int system = 0;
  for (int i = 0; (sx.stx_mask & STATX_MNT_ID) && i < nsystem_mounts; i++) system |= system_mounts[i] == sx.stx_mnt_id;
  /* A system file no rule names is let go at once, unless it is as long as a ruled program (a second copy of it). */
  int same_size = 0;
  for (int i = 0; !n->prog && i < nprogs; i++) same_size |= progs[i].size == (off_t)sx.stx_size;
  if (!n->prog && system && !same_size) return;
  ssize_t len = readlink(link, n->path, sizeof n->path - 1);
  n->path[len > 0 ? len : 0] = 0;
  if (n->prog) return;
  n->how = system ? "file" : "written";
  int fd = open(link, O_RDONLY | O_CLOEXEC);
  for (int i = 0; fd >= 0 && i < nprogs; i++) {
    if (progs[i].size == (off_t)sx.stx_size && same_bytes(fd, progs[i].path, (off_t)sx.stx_size)) {
      n->prog = &progs[i];
      n->how = "copy";
      break;
    }
  }
  if (fd >= 0) close(fd);
}

/* ---- decisions ---- */

static char cmdline[CMDLINE_MAX];
static char environ_buf[ENVIRON_MAX];

static void refuse(pid_t pid, const char *path, const char *why) {
  ssize_t len = read_cmdline(pid, cmdline, sizeof cmdline);
  char named[4096];
  if (path[0] == 0) {
    /* A system file no rule names was not named on the way: name it now, so a refusal always says what. */
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", pid);
    ssize_t got = readlink(link, named, sizeof named - 1);
    named[got > 0 ? got : 0] = 0;
    path = named;
  }
  kill(pid, SIGKILL);
  struct out o = {0};
  out_str(&o, "{\"denied\":");
  out_json(&o, why, strlen(why));
  out_str(&o, ",\"path\":");
  out_json(&o, path, strlen(path));
  out_str(&o, ",\"argv\":");
  out_argv(&o, cmdline, len < 0 ? 0 : len);
  out_str(&o, "}\n");
  write_all(ctl, o.buf, o.len);
  free(o.buf);
  dprintf(2, "aos: refused to run %s: %s\n", path, why);
}

static void ask_kernel(pid_t pid, const struct naming *n, int runner) {
  int slot = -1;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].pid == 0) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    refuse(pid, n->path, "too many programs are waiting for the kernel's answer");
    return;
  }
  ssize_t len = read_cmdline(pid, cmdline, sizeof cmdline);
  ssize_t elen = read_proc_file(pid, "environ", environ_buf, sizeof environ_buf);
  pending[slot].id = next_query++;
  pending[slot].pid = pid;
  struct out o = {0};
  char head[96];
  snprintf(head, sizeof head, "{\"q\":%ld,\"prog\":", pending[slot].id);
  out_str(&o, head);
  if (n->prog) {
    snprintf(head, sizeof head, "%d", n->prog->index);
    out_str(&o, head);
  } else {
    out_str(&o, "null");
  }
  out_str(&o, ",\"how\":");
  out_json(&o, runner ? "runner" : n->how, strlen(runner ? "runner" : n->how));
  out_str(&o, ",\"path\":");
  out_json(&o, n->path, strlen(n->path));
  out_str(&o, ",\"truncated\":");
  out_str(&o, len >= (ssize_t)sizeof cmdline ? "true" : "false");
  out_str(&o, ",\"argv\":");
  out_argv(&o, cmdline, len < 0 ? 0 : len);
  out_str(&o, ",\"cwd\":");
  out_cwd(&o, pid);
  out_str(&o, ",\"env_truncated\":");
  out_str(&o, elen >= (ssize_t)sizeof environ_buf ? "true" : "false");
  out_str(&o, ",\"env\":");
  out_argv(&o, environ_buf, elen < 0 ? 0 : elen);
  struct prog *script = NULL;
  const char *how = "file";
  int via_env = 0;
  int at = has_kind(n->prog, 'I') && len > 0 ? find_script(pid, cmdline, len, environ_buf, elen < 0 ? 0 : elen, &script, &how, &via_env) : -1;
  if (at >= 0) {
    snprintf(head, sizeof head, ",\"script\":{\"at\":%d,\"prog\":%d,\"how\":\"%s\"%s}", at, script->index, how, via_env ? ",\"via\":\"env\"" : "");
    out_str(&o, head);
  }
  out_str(&o, "}\n");
  write_all(ctl, o.buf, o.len);
  free(o.buf);
}

void on_exec(pid_t pid) {
  struct naming n;
  name_exe(pid, &n);
  if (allowlist) {
    int listed = n.prog && has_kind(n.prog, 'L') && strcmp(n.how, "file") == 0;
    if (!listed) refuse(pid, n.path, "a command that holds a secret may run only the programs the secret lists");
    else if (has_kind(n.prog, 'R')) ask_kernel(pid, &n, 0);
    else ptrace(PTRACE_DETACH, pid, 0, 0);
    return;
  }
  if (n.prog) return ask_kernel(pid, &n, has_kind(n.prog, 'X'));
  if (every_exec || strcmp(n.how, "written") == 0) return ask_kernel(pid, &n, 0);
  ptrace(PTRACE_DETACH, pid, 0, 0);
}
/* A process that ended has no question pending any more (its pid may come back for another). */
void forget(pid_t pid) {
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].pid == pid) pending[i].pid = 0;
  }
}

/* Whether the gate already traces `tid` (a second exec after a failed one, or threads racing). */
int traced_by_gate(pid_t tid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return 0;
  buf[len] = 0;
  const char *at = strstr(buf, "TracerPid:");
  return at && atoi(at + 10) == getpid();
}

void on_answer(char *line) {
  /* An edited policy: more programs to stop for, while the command runs. */
  if (config_line(line)) return;
  char *rest = NULL;
  long id = strtol(line, &rest, 10);
  if (!rest || *rest != ' ') return;
  rest++;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].pid == 0 || pending[i].id != id) continue;
    pid_t pid = pending[i].pid;
    pending[i].pid = 0;
    if (strncmp(rest, "allow", 5) == 0) {
      ptrace(PTRACE_DETACH, pid, 0, 0);
    } else {
      char link[64], path[4096];
      snprintf(link, sizeof link, "/proc/%d/exe", pid);
      ssize_t len = readlink(link, path, sizeof path - 1);
      path[len > 0 ? len : 0] = 0;
      const char *why = strncmp(rest, "deny ", 5) == 0 ? rest + 5 : "refused by the policy";
      kill(pid, SIGKILL);
      dprintf(2, "aos: refused to run %s: %s\n", path, why);
    }
    return;
  }
}
