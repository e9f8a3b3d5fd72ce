/* gstapixospool.c: being written, see gstapixospool.h for the contract. */
#include "gstapixospool.h"
