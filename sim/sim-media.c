/* sim-media.c: being written, see sim-media.h for the contract. */
#include "sim-media.h"
