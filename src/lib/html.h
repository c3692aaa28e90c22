/* html.h - HTML to the text a browser would show (libxml2's HTML parser) */
#ifndef SMSGATE_HTML_H
#define SMSGATE_HTML_H

#include <stddef.h>

/*
 * html_to_text - lay out HTML (already UTF-8) as text: block elements and
 * <br> break lines, paragraphs keep the empty line of their margins (none
 * where a style sets them to zero, as Outlook's do), table rows become
 * lines and cells are separated by a space, list items get "- " or "1. ",
 * quoted blockquotes (type=cite, Gmail's) get "> ", entities decoded;
 * <style>, <script>, <head>, comments and hidden elements (display:none,
 * visibility:hidden, the hidden attribute) dropped. No leading or
 * trailing empty lines, never two in a row. Fresh memory.
 */
char *html_to_text(const char *html, size_t len);

#endif
