#ifndef CXRAYSYSTEM_H
#define CXRAYSYSTEM_H
#include <stddef.h>
int xr_placeholder(void);
#endif
