/*
 * The gate's side of its control socket: reading the kernel's configuration and answers line by
 * line, and writing its questions as JSON (argv bytes escaped, never interpreted).
 */
#include "exec-gate.h"

struct prog progs[MAX_PROGS];
int nprogs;
char *prefixes[MAX_PREFIXES];
int nprefixes;
/* The mounts of the system prefixes: a file on one of them is the system's, not the agent's. */
uint64_t system_mounts[MAX_PREFIXES];
int nsystem_mounts;
char *extra_env[MAX_ENV];
int nenv;
int allowlist;
int every_exec;
struct pending pending[MAX_PENDING];
int ctl = -1;
long next_query = 1;


void die(const char *what) {
  dprintf(2, "aos-exec-gate: %s: %s\n", what, strerror(errno));
  _exit(126);
}

/* ---- the control socket ---- */

static char inbuf[LINE_MAX_BYTES];
static size_t inlen;

/* One line from the control socket (blocking), without its newline; NULL at end of file. */
char *read_line(void) {
  for (;;) {
    char *nl = memchr(inbuf, '\n', inlen);
    if (nl) {
      static char line[LINE_MAX_BYTES];
      size_t n = (size_t)(nl - inbuf);
      memcpy(line, inbuf, n);
      line[n] = 0;
      memmove(inbuf, nl + 1, inlen - n - 1);
      inlen -= n + 1;
      return line;
    }
    if (inlen == sizeof inbuf) {
      errno = E2BIG;
      die("control line too long");
    }
    ssize_t got = read(ctl, inbuf + inlen, sizeof inbuf - inlen);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return NULL;
    inlen += (size_t)got;
  }
}

void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t put = write(fd, buf, len);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return;
    buf += put;
    len -= (size_t)put;
  }
}


static void out_add(struct out *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    size_t cap = (o->cap ? o->cap * 2 : 1024);
    while (cap < o->len + n + 1) cap *= 2;
    char *grown = realloc(o->buf, cap);
    if (!grown) die("out of memory");
    o->buf = grown;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = 0;
}

void out_str(struct out *o, const char *s) { out_add(o, s, strlen(s)); }

/* A JSON string of `n` bytes: quotes, backslashes and control bytes escaped, other bytes as they are. */
void out_json(struct out *o, const char *s, size_t n) {
  out_add(o, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      out_add(o, esc, 2);
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      out_add(o, esc, 6);
    } else {
      out_add(o, (const char *)&s[i], 1);
    }
  }
  out_add(o, "\"", 1);
}

/* A file of /proc/PID (cmdline, environ): its bytes, at most `cap`. */
ssize_t read_proc_file(pid_t pid, const char *name, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len < cap) {
    ssize_t got = read(fd, buf + len, cap - len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    len += (size_t)got;
  }
  close(fd);
  return (ssize_t)len;
}

/* argv of a stopped process, as the NUL-separated bytes of /proc/PID/cmdline. */
ssize_t read_cmdline(pid_t pid, char *buf, size_t cap) { return read_proc_file(pid, "cmdline", buf, cap); }

/* The process's working directory as a JSON string ("" when it cannot be read). */
void out_cwd(struct out *o, pid_t pid) {
  char link[64], dir[4096];
  snprintf(link, sizeof link, "/proc/%d/cwd", pid);
  ssize_t len = readlink(link, dir, sizeof dir - 1);
  out_json(o, dir, len > 0 ? (size_t)len : 0);
}

void out_argv(struct out *o, const char *cmdline, ssize_t len) {
  out_str(o, "[");
  ssize_t start = 0;
  int first = 1;
  for (ssize_t i = 0; i <= len; i++) {
    if (i == len || cmdline[i] == 0) {
      if (i == len && start == len) break;
      if (!first) out_str(o, ",");
      out_json(o, cmdline + start, (size_t)(i - start));
      first = 0;
      start = i + 1;
    }
  }
  out_str(o, "]");
}

/* ---- configuration ---- */

/* `NAME=value` sent as hex: a secret's value may hold any byte but NUL. */
static char *from_hex(const char *hex) {
  size_t n = strlen(hex) / 2;
  char *out = malloc(n + 1);
  if (!out) die("out of memory");
  for (size_t i = 0; i < n; i++) {
    unsigned int byte;
    if (sscanf(hex + 2 * i, "%2x", &byte) != 1) byte = '?';
    out[i] = (char)byte;
  }
  out[n] = 0;
  return out;
}

static void learn_system_mounts(void) {
  for (int i = 0; i < nprefixes; i++) {
    struct statx sx;
    if (statx(AT_FDCWD, prefixes[i], 0, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID)) system_mounts[nsystem_mounts++] = sx.stx_mnt_id;
  }
}

int has_kind(const struct prog *p, char kind) { return p && strchr(p->kinds, kind) != NULL; }

/*
 * One configuration line: a program file (P), a system prefix (S), an environment variable (E),
 * allowlist mode (A), ask about every program (V). P and V may also come later, while the command
 * runs: an edited policy names more programs. 1 when the line was one of these.
 */
int config_line(const char *line) {
  if (line[0] == 'P' && line[1] == ' ') {
    unsigned long long dev, ino;
    long long size;
    int used = 0, index;
    char kinds[8] = {0};
    if (sscanf(line, "P %7s %d %llu %llu %lld %n", kinds, &index, &dev, &ino, &size, &used) < 5 || used == 0) return 1;
    /* The same index again: the kernel learned more of a file it named before (a new kind). */
    struct prog *p = NULL;
    for (int i = 0; i < nprogs && !p; i++) if (progs[i].index == index) p = &progs[i];
    if (!p) {
      if (nprogs >= MAX_PROGS) return 1;
      p = &progs[nprogs++];
      p->index = index;
      p->path = strdup(line + used);
    }
    memcpy(p->kinds, kinds, sizeof kinds);
    p->dev = (dev_t)dev;
    p->ino = (ino_t)ino;
    p->size = (off_t)size;
    return 1;
  }
  if (line[0] == 'V' && line[1] == 0) {
    every_exec = 1;
    return 1;
  }
  return 0;
}

void read_config(void) {
  char *line;
  while ((line = read_line()) != NULL) {
    if (strcmp(line, "go") == 0) {
      learn_system_mounts();
      return;
    }
    if (config_line(line)) continue;
    if (line[0] == 'S' && line[1] == ' ' && nprefixes < MAX_PREFIXES) {
      prefixes[nprefixes++] = strdup(line + 2);
    } else if (line[0] == 'E' && line[1] == ' ' && nenv < MAX_ENV) {
      extra_env[nenv++] = from_hex(line + 2);
    } else if (line[0] == 'A') {
      allowlist = 1;
    }
  }
  errno = EPIPE;
  die("the control socket closed before \"go\"");
}

/* Every answer the kernel has sent so far; at end of file the kernel is gone and nothing may run unchecked. */
void drain_answers(void) {
  for (;;) {
    char *nl = memchr(inbuf, '\n', inlen);
    if (!nl) {
      if (inlen == sizeof inbuf) inlen = 0;
      ssize_t got = read(ctl, inbuf + inlen, sizeof inbuf - inlen);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (got <= 0) {
        /* The kernel is gone: nothing may run unchecked. */
        kill(-1, SIGKILL);
        _exit(137);
      }
      inlen += (size_t)got;
      continue;
    }
    *nl = 0;
    on_answer(inbuf);
    size_t used = (size_t)(nl - inbuf) + 1;
    memmove(inbuf, nl + 1, inlen - used);
    inlen -= used;
  }
}
