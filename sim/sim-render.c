/* sim-render.c: being written, see sim-render.h for the contract. */
#include "sim-render.h"
