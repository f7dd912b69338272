/* A power cut for one directory, by LD_PRELOAD: what was not fsynced can be taken back.
 *
 * Writes still reach the real files at once (the real files play the page cache, which
 * every process shares), but before each write to a file in $KS_POWERLOSS_DIR the shim
 * appends the bytes it is about to overwrite, and the file's size, to a per-process undo
 * log in $KS_POWERLOSS_LOG. fsync/fdatasync of a file, once they return, mark its writes
 * so far as durable; fsync of the directory marks the names created, linked, renamed or
 * unlinked in it so far as durable. Unlinked and replaced files are kept alive under
 * $KS_POWERLOSS_GRAVE (same file system) so that an unsynced unlink can be taken back.
 *
 * After every process using the directory has been killed with SIGKILL, recover.py reads
 * the logs and puts the directory back to what a disk would hold after a power cut: every
 * synced byte and name, and none (or, in its "reorder" mode, a random subset of the pages)
 * of the rest. Records carry CLOCK_MONOTONIC times, taken before a write and after an
 * fsync returns, so that one process's fsync covers another's earlier writes, as the
 * kernel's does.
 *
 * -shm files are not tracked: SQLite rebuilds the WAL index after a crash. Not intercepted
 * (ks does not use them on the ledger): writev, mmap'd writes, O_TRUNC of an existing
 * file, truncate() by name, sync()/syncfs().
 *
 * Build: cc -shared -fPIC -O2 -o shim.so shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4096

struct record {
    char magic[4]; /* "PLR1" */
    char type;     /* W write, T truncate, S file sync, D dir sync, C create, L link, U unlink, R rename */
    char pad[3];
    uint64_t t_ns;
    uint64_t dev;
    uint64_t ino;
    int64_t off;
    int64_t old_size;
    uint64_t len; /* payload bytes after the header */
};

struct tracked {
    char kind; /* 0, 'F' a regular file, 'D' a directory */
    dev_t dev;
    ino_t ino;
    char *path; /* directories only */
};

static struct tracked fds[MAX_FDS];
static char dir[PATH_MAX];
static size_t dir_len;
static char log_dir[PATH_MAX];
static char grave[PATH_MAX];
static int enabled = -1;
static int log_fd = -1;
static pid_t log_pid;
static unsigned long counter;

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_link)(const char *, const char *);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);

static void init(void) {
    if (enabled >= 0) return;
    real_open = dlsym(RTLD_NEXT, "open64");
    real_openat = dlsym(RTLD_NEXT, "openat64");
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite64");
    real_pread = dlsym(RTLD_NEXT, "pread64");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_close = dlsym(RTLD_NEXT, "close");
    real_link = dlsym(RTLD_NEXT, "link");
    real_linkat = dlsym(RTLD_NEXT, "linkat");
    real_unlink = dlsym(RTLD_NEXT, "unlink");
    real_unlinkat = dlsym(RTLD_NEXT, "unlinkat");
    real_rename = dlsym(RTLD_NEXT, "rename");
    real_renameat = dlsym(RTLD_NEXT, "renameat");
    real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
    const char *d = getenv("KS_POWERLOSS_DIR"), *l = getenv("KS_POWERLOSS_LOG"),
               *g = getenv("KS_POWERLOSS_GRAVE");
    enabled = 0;
    if (!d || !l || !g || !realpath(d, dir)) return;
    snprintf(log_dir, sizeof log_dir, "%s", l);
    snprintf(grave, sizeof grave, "%s", g);
    dir_len = strlen(dir);
    enabled = 1;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One record per write() to a log of this process's own, so that a process killed halfway
 * through a record spoils only its own last record (recover.py drops a short tail). */
static void emit(char type, uint64_t t, dev_t dev, ino_t ino, int64_t off, int64_t old_size,
                 const void *payload, size_t len) {
    if (log_fd < 0 || log_pid != getpid()) {
        char name[PATH_MAX];
        log_pid = getpid();
        snprintf(name, sizeof name, "%s/%d-%llu.log", log_dir, (int)log_pid,
                 (unsigned long long)now_ns());
        log_fd = real_open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            fprintf(stderr, "powerloss shim: cannot open %s: %s\n", name, strerror(errno));
            abort(); /* a write we cannot undo would make the simulation lie */
        }
    }
    size_t size = sizeof(struct record) + len;
    char *buf = malloc(size);
    if (!buf) abort();
    struct record *r = (struct record *)buf;
    memcpy(r->magic, "PLR1", 4);
    r->type = type;
    memset(r->pad, 0, sizeof r->pad);
    r->t_ns = t;
    r->dev = (uint64_t)dev;
    r->ino = (uint64_t)ino;
    r->off = off;
    r->old_size = old_size;
    r->len = len;
    if (len) memcpy(buf + sizeof *r, payload, len);
    if (real_write(log_fd, buf, size) != (ssize_t)size) abort();
    free(buf);
}

/* The absolute path of `path` (relative to `dirfd`) with its directory resolved, or 0 if it
 * is not in the tracked directory. */
static int resolve(int dirfd, const char *path, char *out) {
    char joined[PATH_MAX], parent[PATH_MAX], real[PATH_MAX];
    init();
    if (!enabled || !path) return 0;
    if (path[0] == '/') {
        if (strncmp(path, dir, dir_len) != 0) return 0; /* the common case, cheaply */
        snprintf(joined, sizeof joined, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n < 0) return 0;
            base[n] = 0;
        }
        snprintf(joined, sizeof joined, "%s/%s", base, path);
    }
    if (realpath(joined, real)) {
        snprintf(out, PATH_MAX, "%s", real);
    } else {
        snprintf(parent, sizeof parent, "%s", joined);
        char *slash = strrchr(parent, '/');
        if (!slash) return 0;
        *slash = 0;
        if (!realpath(parent[0] ? parent : "/", real)) return 0;
        snprintf(out, PATH_MAX, "%s/%s", real, slash + 1);
    }
    return strncmp(out, dir, dir_len) == 0 && (out[dir_len] == '/' || out[dir_len] == 0);
}

static int ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void after_open(int fd, const char *abs, int existed) {
    struct stat st;
    if (fd < 0 || fd >= MAX_FDS || fstat(fd, &st) != 0) return;
    if (!existed) emit('C', now_ns(), st.st_dev, st.st_ino, 0, 0, abs, strlen(abs) + 1);
    free(fds[fd].path);
    fds[fd].path = NULL;
    fds[fd].kind = 0;
    if (S_ISDIR(st.st_mode)) {
        fds[fd].kind = 'D';
        fds[fd].path = strdup(abs);
    } else if (S_ISREG(st.st_mode) && !ends_with(abs, "-shm")) {
        fds[fd].kind = 'F';
    }
    fds[fd].dev = st.st_dev;
    fds[fd].ino = st.st_ino;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode) {
    char abs[PATH_MAX];
    init();
    int mine = resolve(dirfd, path, abs);
    int existed = !mine || !(flags & O_CREAT) || access(abs, F_OK) == 0;
    int fd = real_openat(dirfd, path, flags, mode);
    if (mine) after_open(fd, abs, existed);
    return fd;
}

#define MODE_ARG(flags, mode)                           \
    mode_t mode = 0;                                    \
    if ((flags) & (O_CREAT | O_TMPFILE)) {              \
        va_list ap;                                     \
        va_start(ap, flags);                            \
        mode = (mode_t)va_arg(ap, int);                 \
        va_end(ap);                                     \
    }

int open(const char *path, int flags, ...) { MODE_ARG(flags, mode) return do_openat(AT_FDCWD, path, flags, mode); }
int open64(const char *path, int flags, ...) { MODE_ARG(flags, mode) return do_openat(AT_FDCWD, path, flags, mode); }
int openat(int d, const char *path, int flags, ...) { MODE_ARG(flags, mode) return do_openat(d, path, flags, mode); }
int openat64(int d, const char *path, int flags, ...) { MODE_ARG(flags, mode) return do_openat(d, path, flags, mode); }
int __open_2(const char *path, int flags) { return do_openat(AT_FDCWD, path, flags, 0); }
int __open64_2(const char *path, int flags) { return do_openat(AT_FDCWD, path, flags, 0); }
int __openat_2(int d, const char *path, int flags) { return do_openat(d, path, flags, 0); }
int __openat64_2(int d, const char *path, int flags) { return do_openat(d, path, flags, 0); }

static int is_file(int fd) { return fd >= 0 && fd < MAX_FDS && fds[fd].kind == 'F'; }

/* Log what [off, off + n) holds now, before it is overwritten. */
static void before_write(int fd, off_t off, size_t n) {
    struct stat st;
    uint64_t t = now_ns();
    if (fstat(fd, &st) != 0) return;
    size_t keep = off < st.st_size ? (size_t)(st.st_size - off) : 0;
    if (keep > n) keep = n;
    char *old = keep ? malloc(keep) : NULL;
    ssize_t got = keep ? real_pread(fd, old, keep, off) : 0;
    emit('W', t, st.st_dev, st.st_ino, off, st.st_size, old, got > 0 ? (size_t)got : 0);
    free(old);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
    init();
    if (is_file(fd)) before_write(fd, off, n);
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { return pwrite64(fd, buf, n, off); }

ssize_t write(int fd, const void *buf, size_t n) {
    init();
    if (is_file(fd)) {
        off_t off = (fcntl(fd, F_GETFL) & O_APPEND) ? lseek(fd, 0, SEEK_END) : lseek(fd, 0, SEEK_CUR);
        if (off >= 0) before_write(fd, off, n);
    }
    return real_write(fd, buf, n);
}

int ftruncate64(int fd, off_t length) {
    init();
    if (is_file(fd)) {
        struct stat st;
        uint64_t t = now_ns();
        if (fstat(fd, &st) == 0) {
            size_t cut = length < st.st_size ? (size_t)(st.st_size - length) : 0;
            char *old = cut ? malloc(cut) : NULL;
            ssize_t got = cut ? real_pread(fd, old, cut, length) : 0;
            emit('T', t, st.st_dev, st.st_ino, length, st.st_size, old, got > 0 ? (size_t)got : 0);
            free(old);
        }
    }
    return real_ftruncate(fd, length);
}

int ftruncate(int fd, off_t length) { return ftruncate64(fd, length); }

static void after_sync(int fd) {
    if (fd < 0 || fd >= MAX_FDS) return;
    if (fds[fd].kind == 'F')
        emit('S', now_ns(), fds[fd].dev, fds[fd].ino, 0, 0, NULL, 0);
    else if (fds[fd].kind == 'D')
        emit('D', now_ns(), fds[fd].dev, fds[fd].ino, 0, 0, fds[fd].path, strlen(fds[fd].path) + 1);
}

int fsync(int fd) {
    init();
    int r = real_fsync(fd);
    if (r == 0) after_sync(fd);
    return r;
}

int fdatasync(int fd) {
    init();
    int r = real_fdatasync(fd);
    if (r == 0) after_sync(fd);
    return r;
}

int close(int fd) {
    init();
    if (fd >= 0 && fd < MAX_FDS) {
        fds[fd].kind = 0;
        free(fds[fd].path);
        fds[fd].path = NULL;
    }
    return real_close(fd);
}

/* Keep `abs` alive under the grave (a hard link) so an unsynced unlink can be taken back;
 * `kept` gets the grave's path, or "" if there is nothing to keep. */
static void bury(const char *abs, char *kept) {
    struct stat st;
    kept[0] = 0;
    if (lstat(abs, &st) != 0 || !S_ISREG(st.st_mode) || ends_with(abs, "-shm")) return;
    snprintf(kept, PATH_MAX, "%s/%d-%lu-%llu", grave, (int)getpid(), ++counter,
             (unsigned long long)now_ns());
    if (real_link(abs, kept) != 0) kept[0] = 0;
}

static void emit_paths(char type, uint64_t t, const char *a, const char *b, const char *c) {
    const char *parts[3] = {a, b, c};
    char payload[3 * PATH_MAX];
    size_t n = 0;
    for (int i = 0; i < 3 && parts[i]; i++) {
        size_t len = strlen(parts[i]) + 1;
        memcpy(payload + n, parts[i], len);
        n += len;
    }
    emit(type, t, 0, 0, 0, 0, payload, n);
}

int linkat(int od, const char *old, int nd, const char *new, int flags) {
    char a[PATH_MAX], b[PATH_MAX];
    init();
    int mine = resolve(nd, new, b);
    if (mine && !resolve(od, old, a)) snprintf(a, sizeof a, "%s", old);
    int r = real_linkat(od, old, nd, new, flags);
    if (r == 0 && mine) emit_paths('L', now_ns(), a, b, NULL);
    return r;
}

int link(const char *old, const char *new) { return linkat(AT_FDCWD, old, AT_FDCWD, new, 0); }

int unlinkat(int d, const char *path, int flags) {
    char abs[PATH_MAX], kept[PATH_MAX];
    init();
    int mine = !(flags & AT_REMOVEDIR) && resolve(d, path, abs);
    if (!mine) return real_unlinkat(d, path, flags);
    uint64_t t = now_ns();
    bury(abs, kept);
    int r = real_unlinkat(d, path, flags);
    if (r == 0 && !ends_with(abs, "-shm")) emit_paths('U', t, abs, kept, NULL);
    else if (r != 0 && kept[0]) real_unlink(kept);
    return r;
}

int unlink(const char *path) { return unlinkat(AT_FDCWD, path, 0); }

int renameat2(int od, const char *old, int nd, const char *new, unsigned int flags) {
    char a[PATH_MAX], b[PATH_MAX], kept[PATH_MAX];
    init();
    int mine = resolve(nd, new, b);
    if (!mine) return real_renameat2(od, old, nd, new, flags);
    if (!resolve(od, old, a)) snprintf(a, sizeof a, "%s", old);
    uint64_t t = now_ns();
    bury(b, kept);
    int r = real_renameat2(od, old, nd, new, flags);
    if (r == 0) emit_paths('R', t, a, b, kept);
    else if (kept[0]) real_unlink(kept);
    return r;
}

int renameat(int od, const char *old, int nd, const char *new) { return renameat2(od, old, nd, new, 0); }
int rename(const char *old, const char *new) { return renameat2(AT_FDCWD, old, AT_FDCWD, new, 0); }
