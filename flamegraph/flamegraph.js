// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// The interactivity of agentprof's flame graph SVG, embedded by js.S into every graph.
//
// As in FlameGraph's flamegraph.pl: hovering a frame shows its title under the graph, a click
// zooms into it (its ancestors stay, dimmed, across the full width), "Reset Zoom" undoes it;
// Ctrl-F, F3 or "Search" asks for a regular expression, paints the matching frames and shows the
// share of all samples they cover ("Matched: 12.3%"); Ctrl-I toggles case. The view is kept in
// the URL (?x=...&y=... for the zoomed frame, ?s=... for the search), so a view can be bookmarked,
// and a headless browser can be pointed at one. Settings come from fg:* attributes on <svg>.
// This file is inside a CDATA section: it must never contain the three characters that end one.
"use strict";

var svg, details, unzoombtn, searchbtn, icbtn, matchedtxt;
var xpad, fontsize, fontwidth, inverted, nametype, total, plotw;
var frames = [];
var zoomed = null, searching = null, ignorecase = false;
var SEARCH_COLOR = "rgb(230,0,230)";

function num(name) {
	return parseFloat(svg.getAttribute(name));
}

function init(evt) {
	svg = document.documentElement;
	details = document.getElementById("details").firstChild;
	unzoombtn = document.getElementById("unzoom");
	searchbtn = document.getElementById("search");
	icbtn = document.getElementById("ignorecase");
	matchedtxt = document.getElementById("matched").firstChild;
	xpad = num("fg:xpad");
	fontsize = num("fg:fontsize");
	fontwidth = num("fg:fontwidth");
	inverted = svg.getAttribute("fg:inverted") === "1";
	nametype = svg.getAttribute("fg:nametype");
	total = num("fg:total");
	plotw = num("width") - 2 * xpad;

	var group = document.getElementById("frames");
	var gs = group.children;
	for (var i = 0; i < gs.length; i++) {
		var g = gs[i], title = g.children[0].textContent, rect = g.children[1];
		frames.push({
			g: g, rect: rect, text: g.children[2], title: title,
			name: title.substring(0, title.lastIndexOf(" (")),
			fx: parseFloat(rect.getAttribute("fg:x")), fw: parseFloat(rect.getAttribute("fg:w")),
			xattr: rect.getAttribute("fg:x"), yattr: rect.getAttribute("y"),
			y: parseFloat(rect.getAttribute("y")),
			x0: rect.getAttribute("x"), w0: rect.getAttribute("width"),
			label0: g.children[2].textContent, fill: rect.getAttribute("fill")
		});
		g.fgIndex = i;
	}
	group.addEventListener("mouseover", function (e) {
		var f = frame_of(e.target);
		if (f)
			details.nodeValue = nametype + " " + f.title;
	});
	group.addEventListener("mouseout", function () {
		details.nodeValue = " ";
	});
	group.addEventListener("click", function (e) {
		var f = frame_of(e.target);
		if (f)
			zoom(f);
	});
	unzoombtn.addEventListener("click", unzoom);
	searchbtn.addEventListener("click", search_button);
	icbtn.addEventListener("click", toggle_ignorecase);
	window.addEventListener("keydown", function (e) {
		if (e.keyCode === 114 || (e.ctrlKey && e.keyCode === 70)) {
			e.preventDefault();
			search_prompt();
		} else if (e.ctrlKey && e.keyCode === 73) {
			e.preventDefault();
			toggle_ignorecase();
		}
	}, false);

	var p = params();
	if (p.x !== undefined && p.y !== undefined) {
		for (var j = 0; j < frames.length; j++) {
			if (frames[j].xattr === p.x && frames[j].yattr === p.y) {
				zoom(frames[j]);
				break;
			}
		}
	}
	if (p.s !== undefined && p.s !== "")
		search(p.s);
}

function frame_of(e) {
	while (e && e.parentNode && e.parentNode.id !== "frames")
		e = e.parentNode;
	return e && e.fgIndex !== undefined ? frames[e.fgIndex] : null;
}

function params() {
	var p = {}, q = window.location.search.substring(1).split("&");
	for (var i = 0; i < q.length; i++) {
		var eq = q[i].indexOf("=");
		if (eq > 0)
			p[decodeURIComponent(q[i].substring(0, eq))] =
				decodeURIComponent(q[i].substring(eq + 1).replace(/\+/g, " "));
	}
	return p;
}

function save_url() {
	var q = [];
	if (zoomed)
		q.push("x=" + encodeURIComponent(zoomed.xattr), "y=" + encodeURIComponent(zoomed.yattr));
	if (searching !== null)
		q.push("s=" + encodeURIComponent(searching));
	try {
		history.replaceState(null, "", q.length ? "?" + q.join("&") : window.location.pathname);
	} catch (e) {
		// file: URLs in some browsers, or a graph inside <object>: the view just is not kept
	}
}

// The label that fits w pixels at the average glyph width, as the writer computed it.
function fit(f, x, w) {
	var chars = Math.floor(w / (fontsize * fontwidth)), t = "";
	if (chars >= 3)
		t = f.name.length > chars ? f.name.substring(0, chars - 2) + ".." : f.name;
	f.rect.setAttribute("x", x.toFixed(1));
	f.rect.setAttribute("width", w.toFixed(1));
	f.text.setAttribute("x", (x + 3).toFixed(2));
	f.text.textContent = t;
}

function zoom(z) {
	var scale = plotw / z.fw, eps = z.fw * 1e-9;
	for (var i = 0; i < frames.length; i++) {
		var f = frames[i], g = f.g;
		var nearer_root = inverted ? f.y < z.y : f.y > z.y;
		if (nearer_root) {
			if (f.fx <= z.fx + eps && f.fx + f.fw >= z.fx + z.fw - eps) {
				g.classList.remove("hide");
				g.classList.add("parent");
				fit(f, xpad, plotw);
			} else {
				g.classList.add("hide");
			}
		} else if (f.fx >= z.fx - eps && f.fx < z.fx + z.fw - eps) {
			g.classList.remove("hide");
			g.classList.remove("parent");
			fit(f, xpad + (f.fx - z.fx) * scale, f.fw * scale);
		} else {
			g.classList.add("hide");
		}
	}
	zoomed = z;
	unzoombtn.classList.remove("hide");
	save_url();
}

function unzoom() {
	for (var i = 0; i < frames.length; i++) {
		var f = frames[i];
		f.g.classList.remove("hide");
		f.g.classList.remove("parent");
		f.rect.setAttribute("x", f.x0);
		f.rect.setAttribute("width", f.w0);
		f.text.setAttribute("x", (parseFloat(f.x0) + 3).toFixed(2));
		f.text.textContent = f.label0;
	}
	zoomed = null;
	unzoombtn.classList.add("hide");
	save_url();
}

function search_button() {
	if (searching !== null)
		reset_search();
	else
		search_prompt();
}

function search_prompt() {
	var term = prompt("Enter a search term (regexp allowed, eg: ^ext4_)" +
		(ignorecase ? ", ignoring case" : "") + "\nPress Ctrl-i to toggle case sensitivity",
		searching !== null ? searching : "");
	if (term !== null && term !== "")
		search(term);
}

function clear_marks() {
	for (var i = 0; i < frames.length; i++)
		frames[i].rect.setAttribute("fill", frames[i].fill);
}

function reset_search() {
	clear_marks();
	searching = null;
	searchbtn.classList.remove("show");
	searchbtn.firstChild.nodeValue = "Search";
	matchedtxt.nodeValue = " ";
	save_url();
}

function search(term) {
	var re, hits = [], covered = 0, end = -Infinity, eps = total * 1e-12, i;
	try {
		re = new RegExp(term, ignorecase ? "i" : "");
	} catch (e) {
		matchedtxt.nodeValue = "Bad regexp: " + term;
		return;
	}
	clear_marks();
	for (i = 0; i < frames.length; i++) {
		if (re.test(frames[i].name)) {
			frames[i].rect.setAttribute("fill", SEARCH_COLOR);
			hits.push(frames[i]);
		}
	}
	// Count each sample once: a match inside a matched ancestor adds nothing.
	hits.sort(function (a, b) {
		if (a.fx !== b.fx)
			return a.fx < b.fx ? -1 : 1;
		return a.fw > b.fw ? -1 : a.fw < b.fw ? 1 : 0;
	});
	for (i = 0; i < hits.length; i++) {
		if (hits[i].fx >= end - eps) {
			covered += hits[i].fw;
			end = hits[i].fx + hits[i].fw;
		}
	}
	var pct = 100 * covered / total;
	searching = term;
	searchbtn.classList.add("show");
	searchbtn.firstChild.nodeValue = "Reset Search";
	matchedtxt.nodeValue = "Matched: " + (pct >= 100 ? "100" : pct.toFixed(1)) + "%";
	save_url();
}

function toggle_ignorecase() {
	ignorecase = !ignorecase;
	if (ignorecase)
		icbtn.classList.add("show");
	else
		icbtn.classList.remove("show");
	if (searching !== null)
		search(searching);
}
