/* migrate.h - versioned schema migrations, compiled into every binary */
#ifndef SMSGATE_MIGRATE_H
#define SMSGATE_MIGRATE_H

#include "db.h"

struct migration {
    int version;
    const char *name;
    const char *sql;
};

/* migrations - generated from sql/NNN_name.sql, ending with version 0 */
extern const struct migration migrations[];

/* migrate_latest - the newest version this binary knows */
int migrate_latest(void);
/* migrate_current - the version the database is at (0: empty); -1 on error */
int migrate_current(struct db *db);
/*
 * migrate_apply - apply every missing migration, each in its own
 * transaction under an advisory lock, so that two concurrent runs cannot
 * both apply one. *applied_r counts what was applied. 0 or -1.
 */
int migrate_apply(struct db *db, int *applied_r);

#endif
