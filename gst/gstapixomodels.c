/* gstapixomodels.c: being written, see gstapixomodels.h for the contract. */
#include "gstapixomodels.h"
