/*
 * handler.h — answering one FastCGI request.
 */
#ifndef PBF_HANDLER_H
#define PBF_HANDLER_H

#include <fcgiapp.h>

#include "db.h"

extern void handle_request(FCGX_Request *req, Db *db);

#endif
