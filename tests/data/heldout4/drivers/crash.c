/* Small program for gdb: threads, a breakpoint hit several times, a crash chosen by argv. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job { int id; const char *name; };

int step(int n) { return n * 2 + 1; }

static void *worker(void *arg) {
    struct job *j = arg;
    for (int i = 0; i < 3; i++) step(j->id + i);
    return NULL;
}

static int parse(const char *s) {
    char *p = NULL;
    if (s[0] == 's') return *p;           /* SIGSEGV */
    if (s[0] == 'a') abort();             /* SIGABRT */
    volatile int zero = (int)strlen(s) - 3;
    if (s[0] == 'f') return 100 / zero;           /* SIGFPE for "fpe" */
    if (s[0] == 'x') exit(3);
    return atoi(s);
}

int main(int argc, char **argv) {
    pthread_t t[2];
    struct job jobs[2] = { {1, "alpha"}, {2, "beta"} };
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, &jobs[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("parsed %d\n", parse(argc > 1 ? argv[1] : "7"));
    return 0;
}
