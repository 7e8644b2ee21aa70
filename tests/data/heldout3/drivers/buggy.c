#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sum(const int *v, int n) {
    int s = 0;
    for (int i = 0; i <= n; i++) s += v[i];
    return s;
}

static char *dup_name(const char *name) {
    char *p = malloc(strlen(name));
    strcpy(p, name);
    return p;
}

int main(void) {
    int *v = malloc(4 * sizeof(int));
    for (int i = 0; i < 3; i++) v[i] = i;
    int x;
    if (x > 2) puts("big");
    printf("sum %d\n", sum(v, 4));
    char *n = dup_name("worker");
    printf("name %s\n", n);
    free(v);
    v[1] = 7;
    free(v);
    char *leak = malloc(64);
    leak[0] = 'a';
    (void)n;
    return 0;
}
