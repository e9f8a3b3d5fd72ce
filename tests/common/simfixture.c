/* simfixture.c: being written, see simfixture.h for the contract. */
#include "simfixture.h"
