/* bench/rss.c - peak RSS of a command, for programs that cannot report their own (the CLI).
     rss COMMAND [ARGS...]   runs it, prints "ok exit=E maxrss_kib=K" (the child's ru_maxrss)
     rss --self              prints "ok exit=0 maxrss_kib=K" for a child that only exits
   The kernel's ru_maxrss of a child includes what it had before exec (the pages of this
   launcher it shares after fork), so this program is built static and small (musl when
   there is one) and --self measures that share; bench/run.py reports both. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct rusage ru;
    int status = 0, self;
    pid_t pid;
    if (argc < 2) {
        fprintf(stderr, "usage: rss COMMAND [ARGS...] | rss --self\n");
        return 2;
    }
    self = !strcmp(argv[1], "--self");
    pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
        if (self) _exit(0);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) return perror("wait4"), 1;
    printf("ok exit=%d maxrss_kib=%ld\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
           (long)ru.ru_maxrss);
    return 0;
}
