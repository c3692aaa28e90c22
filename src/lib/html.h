/* html.h - HTML to the text a browser would show (libxml2's HTML parser) */
#ifndef SMSGATE_HTML_H
#define SMSGATE_HTML_H

#include <stddef.h>

/*
 * html_to_text - lay out HTML (already UTF-8) as text: block elements and
 * <br> break lines, table rows become lines and cells are separated by a
 * space, entities decoded; <style>, <script>, <head>, comments and hidden
 * elements (display:none, the hidden attribute) dropped. Fresh memory.
 */
char *html_to_text(const char *html, size_t len);

#endif
