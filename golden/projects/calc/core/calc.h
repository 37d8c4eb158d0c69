int calc_add(int a, int b);
int calc_mul(int a, int b);
const char *calc_version(void);
