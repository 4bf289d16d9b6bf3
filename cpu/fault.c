#include "cpu/fault.h"

static const char *const reason_names[] = {
#define X(id, name) [FAULT_##id] = name,
	FAULT_REASONS(X)
#undef X
};

const char *fault_reason_name(enum fault_reason r)
{
	if ((unsigned)r >= FAULT_REASON_COUNT)
		return "?";
	return reason_names[r];
}
