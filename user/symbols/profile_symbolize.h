/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Naming the model's frames: each sample's stacks against its own process image. */
#ifndef PROFILE_SYMBOLIZE_H
#define PROFILE_SYMBOLIZE_H

#include "model/profile.h"

/* Names every frame of every sample (in its process) and notes where it came from. 0 or -ENOMEM. */
int profile__symbolize(struct profile *p, struct syms_cache *syms);

#endif /* PROFILE_SYMBOLIZE_H */
