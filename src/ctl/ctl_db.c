/*
 * ctl_db.c - smsgatectl db migrate | db status
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "migrate.h"

/* ctl_cmd_db - schema migrations */
int
ctl_cmd_db(struct ctl *ctl, int argc, char **argv)
{
    char *pos[1];
    const char *usage = "smsgatectl db migrate|status";
    ctl_parse(argc, argv, NULL, pos, 1, 1, usage);
    struct db *db = ctl_connect(ctl);

    if (strcmp(pos[0], "migrate") == 0) {
        int applied;
        if (migrate_apply(db, &applied) < 0)
            ctl_db_die(ctl,
                       "migration failed, the database stays at the last migration that completed");
        json_object *o = json_object_new_object();
        json_object_object_add(o, "applied", json_object_new_int(applied));
        json_object_object_add(o, "version", json_object_new_int(migrate_current(db)));
        ctl_print(ctl, o);
        return CTL_OK;
    }
    if (strcmp(pos[0], "status") == 0) {
        int cur = migrate_current(db), latest = migrate_latest();
        if (cur < 0)
            ctl_db_die(ctl, "db status");
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_int(cur));
        json_object_object_add(o, "latest", json_object_new_int(latest));
        json_object_object_add(o, "current", json_object_new_boolean(cur == latest));
        json_object *list = json_object_new_array();
        for (const struct migration *m = migrations; m->version; m++) {
            json_object *row = json_object_new_object();
            json_object_object_add(row, "version", json_object_new_int(m->version));
            json_object_object_add(row, "name", json_object_new_string(m->name));
            json_object_object_add(row, "applied", json_object_new_boolean(m->version <= cur));
            json_object_array_add(list, row);
        }
        json_object_object_add(o, "migrations", list);
        ctl_print(ctl, o);
        return cur == latest ? CTL_OK : CTL_CHECK_FAILED;
    }
    ctl_die(CTL_USAGE, "usage: %s", usage);
}
