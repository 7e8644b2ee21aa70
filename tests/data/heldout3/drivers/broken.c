#include <stdio.h>
#include <stdlib.h>

struct point { int x; int y; };

static int area(struct point *p) {
    return p->x * p->z;
}

int count(int n) {
    int unused;
    if (n > 0)
        return n
    return 0;
}

int main(int argc, char **argv) {
    char *s = 42;
    int a[3];
    printf("%d %s\n", argv, argc);
    undefined_call(a);
    struct point q = { 1, 2 };
    long l = area(&q);
    unsigned u = -1;
    if (u < 0) return 1;
    return missing_var;
}
