/*
 * An interpreter (node, python3) that a ruled script program runs under was just executed: which
 * ruled script it was told to run, however it is told. By its arguments, relative to the process's
 * own directory: the script's file through any path or link, or a byte copy of it; an option's
 * value (`--require=PATH`); a name the interpreter completes (node adds `.js`); a directory it runs
 * (python's `__main__.py`, node's package: the kernel names a ruled program's package and module
 * directories and their entry files too). And by its environment: `NODE_OPTIONS` (also from a
 * `--env-file`), `PYTHONSTARTUP`.
 */
#include "exec-gate.h"

struct found {
  struct prog *prog;
  const char *how; /* file, copy */
};

/* A file (or directory) `path`, relative to `dirfd`, that is a ruled program's, or a byte copy of one. */
static int match_path(int dirfd, const char *path, struct found *f, int depth) {
  struct stat st;
  if (path[0] == 0 || fstatat(dirfd, path, &st, 0) != 0) return 0;
  for (int i = 0; i < nprogs; i++) {
    if (!has_kind(&progs[i], 'R') || progs[i].dev != st.st_dev || progs[i].ino != st.st_ino) continue;
    f->prog = &progs[i];
    f->how = "file";
    return 1;
  }
  if (S_ISDIR(st.st_mode) && depth == 0) {
    /* A directory runs its __main__.py (python) or index.js (node's package without a main). */
    static const char *entries[] = {"__main__.py", "index.js"};
    for (size_t k = 0; k < sizeof entries / sizeof entries[0]; k++) {
      char sub[4200];
      if (snprintf(sub, sizeof sub, "%s/%s", path, entries[k]) < (int)sizeof sub && match_path(dirfd, sub, f, 1)) return 1;
    }
    return 0;
  }
  if (!S_ISREG(st.st_mode)) return 0;
  for (int i = 0; i < nprogs; i++) {
    if (!has_kind(&progs[i], 'R') || progs[i].size != st.st_size) continue;
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    int same = same_bytes(fd, progs[i].path, st.st_size);
    close(fd);
    if (same) {
      f->prog = &progs[i];
      f->how = "copy";
      return 1;
    }
  }
  return 0;
}

/* A path as node may complete it: itself, or with `.js` added. */
static int match_name(int dirfd, const char *path, struct found *f) {
  if (match_path(dirfd, path, f, 0)) return 1;
  char with[4200];
  return snprintf(with, sizeof with, "%s.js", path) < (int)sizeof with && match_path(dirfd, with, f, 0);
}

/* One word as the interpreter may read it: a path, or an option's value (`--require=PATH`). */
static int match_word(int dirfd, const char *word, struct found *f) {
  const char *eq = word[0] == '-' ? strchr(word, '=') : NULL;
  return match_name(dirfd, word, f) || (eq && match_name(dirfd, eq + 1, f));
}

/* The words of NODE_OPTIONS (blanks between, "…" grouping with \ escapes), each looked at. */
static int match_options(int dirfd, const char *text, size_t n, struct found *f) {
  char word[4200];
  size_t i = 0;
  while (i < n) {
    while (i < n && (text[i] == ' ' || text[i] == '\t')) i++;
    size_t len = 0;
    int quoted = 0;
    for (; i < n && (quoted || (text[i] != ' ' && text[i] != '\t')); i++) {
      if (text[i] == '"') quoted = !quoted;
      else if (text[i] == '\\' && i + 1 < n) word[len < sizeof word - 1 ? len++ : len] = text[++i];
      else if (len < sizeof word - 1) word[len++] = text[i];
    }
    word[len] = 0;
    if (len > 0 && match_word(dirfd, word, f)) return 1;
  }
  return 0;
}

/* A `--env-file` node reads NODE_OPTIONS from (its NODE_OPTIONS= line, quotes stripped). */
static int match_env_file(int dirfd, const char *file, struct found *f) {
  static char text[65536];
  /* Never blocks: a FIFO (or anything but a file) is not read. */
  int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return 0;
  }
  ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got <= 0) return 0;
  text[got] = 0;
  for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    while (*line == ' ' || *line == '\t') line++;
    if (strncmp(line, "export ", 7) == 0) line += 7;
    if (strncmp(line, "NODE_OPTIONS", 12) != 0) continue;
    char *value = line + 12;
    while (*value == ' ' || *value == '\t' || *value == '=') value++;
    size_t n = strcspn(value, "\n");
    if ((value[0] == '"' || value[0] == '\'') && n >= 2 && value[n - 1] == value[0]) value++, n -= 2;
    if (match_options(dirfd, value, n, f)) return 1;
  }
  return 0;
}

/*
 * Which argument (at) of the interpreter is a ruled script, or 0 with *via_env set when its
 * environment names one; -1 when nothing does.
 */
int find_script(pid_t pid, const char *cmdline, ssize_t len, const char *env, ssize_t elen, struct prog **prog, const char **how, int *via_env) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/cwd", pid);
  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -1;
  struct found f = {NULL, "file"};
  int at = -1, arg = 0;
  *via_env = 0;
  const char *prev = "";
  for (ssize_t start = 0; start < len && arg < SCRIPT_ARGS_MAX && at < 0; arg++) {
    const char *word = cmdline + start;
    size_t n = strnlen(word, (size_t)(len - start));
    start += (ssize_t)n + 1;
    if (arg > 0 && n > 0 && match_word(dirfd, word, &f)) at = arg;
    else if (arg > 0 && strncmp(word, "--env-file", 10) == 0 && word[10] == '=' && match_env_file(dirfd, word + 11, &f)) at = 0, *via_env = 1;
    else if (arg > 0 && strncmp(prev, "--env-file", 10) == 0 && prev[10] == 0 && match_env_file(dirfd, word, &f)) at = 0, *via_env = 1;
    prev = word;
  }
  for (ssize_t start = 0; at < 0 && env && start < elen;) {
    const char *entry = env + start;
    size_t n = strnlen(entry, (size_t)(elen - start));
    start += (ssize_t)n + 1;
    int found = 0;
    if (strncmp(entry, "NODE_OPTIONS=", 13) == 0) found = match_options(dirfd, entry + 13, n - 13, &f);
    else if (strncmp(entry, "PYTHONSTARTUP=", 14) == 0) found = match_path(dirfd, entry + 14, &f, 0);
    if (found) at = 0, *via_env = 1;
  }
  close(dirfd);
  if (at >= 0) {
    *prog = f.prog;
    *how = f.how;
  }
  return at;
}
