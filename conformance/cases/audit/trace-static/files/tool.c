#include <stdio.h>
int main(void) {
  char b[64] = {0};
  FILE *f = fopen("data.txt", "r");
  if (f) fread(b, 1, sizeof b - 1, f);
  fputs(b, stdout);
  return 0;
}
