#include <stdio.h>
int util(void);
int main(void) { printf("%d\n", util()); return 0; }
