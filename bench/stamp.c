/* The first thing a restarted service does in bench/restart.sh: write the time it started
 * running (ns since the epoch) to the file named by argv[1], then wait to be killed. No
 * fork of `date` in between, so the measure ends when the new process runs. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    FILE *out = fopen(argc > 1 ? argv[1] : "started", "w");
    if (!out) return 1;
    fprintf(out, "%lld%09ld\n", (long long)now.tv_sec, now.tv_nsec);
    fclose(out);
    for (;;) pause();
}
