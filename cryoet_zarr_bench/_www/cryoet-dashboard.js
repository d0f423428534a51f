/*
 * cryoet-zarr-bench's additions to the asv dashboard, loaded after asv's own scripts.
 *
 * 1. Data without XMLHttpRequest.  Browsers refuse XMLHttpRequest to file:// pages, so a dashboard opened
 *    as a file showed asv's "Error fetching content".  `cryoet-zarr-bench publish` writes every JSON file
 *    of the dashboard a second time as a script, json-scripts/<path>.js, that hands its data to
 *    window.cryoetZarrBenchData.register; jQuery.ajax is wrapped so that asv's JSON requests load those
 *    scripts instead.  Scripts load from file:// and over HTTP alike, so both take the same path.
 * 2. Readable graphs: thumbnails of a single commit draw a dot (a line through one point draws nothing);
 *    the legend of the main graph sits in a scrollable column beside the plot instead of over it; each
 *    environment is named by its releases ("py3.11 zarr3.1.6 numcodecs0.16.6"), which the publisher
 *    stores in index.json as `environment_labels` (parallel to `graph_param_list`) and `param_labels`.
 */
'use strict';

(function ($) {
    var SCRIPT_DIR = 'json-scripts/';
    var LEGEND_WIDTH_PX = 330;
    /* How an environment's releases are written: py3.11 zarr3.1.6 numcodecs0.16.6. */
    var RELEASE_PREFIXES = [['python', 'py'], ['zarr', 'zarr'], ['numcodecs', 'numcodecs']];
    var requests = {};  /* JSON path -> jQuery Deferred */

    window.cryoetZarrBenchData = {
        register: function (path, data) {
            pending(path).resolve(data);
        }
    };

    function pending(path) {
        if (!requests[path]) {
            requests[path] = $.Deferred();
        }
        return requests[path];
    }

    function loadJsonScript(url) {
        var parts = url.split('?');
        var path = decodeURIComponent(parts[0]);
        var deferred = pending(path);
        if (!deferred.requested) {
            deferred.requested = true;
            var script = document.createElement('script');
            var query = (window.location.protocol === 'file:' || parts.length < 2) ? '' : '?' + parts[1];
            script.src = SCRIPT_DIR + parts[0] + '.js' + query;
            script.onerror = function () {
                delete requests[path];
                deferred.reject();
            };
            document.head.appendChild(script);
        }
        return deferred.promise();
    }

    var originalAjax = $.ajax;
    $.ajax = function (url, options) {
        var settings = typeof url === 'object' ? url : $.extend({}, options, {url: url});
        if (settings.dataType === 'json') {
            return loadJsonScript(settings.url);
        }
        if (window.location.protocol === 'file:') {
            /* asv's only other request checks that the "web server" still answers; a file always does. */
            return $.Deferred().resolve('').promise();
        }
        return originalAjax.apply(this, arguments);
    };

    /* ------------------------------------------------------------------------------------ names */

    function escapeHtml(text) {
        return $('<span>').text(text).html();
    }

    /* asv's legend label: "key-value" parts joined by "; " (only the keys whose values differ). */
    function parseLabel(label) {
        var index = $.asv.main_json;
        var keys = Object.keys(index.params).concat(['commit']);
        $.each(index.benchmarks, function (name, benchmark) {
            keys = keys.concat(benchmark.param_names);
        });
        keys.sort(function (a, b) { return b.length - a.length; });
        var parsed = {environment: {}, rest: []};
        $.each(label.split('; '), function (i, part) {
            var key = keys.find(function (k) { return part.indexOf(k + '-') === 0; });
            if (key === undefined) {
                parsed.rest.push(part);
            } else if (key in index.params) {
                parsed.environment[key] = part.slice(key.length + 1);
            } else {
                parsed.rest.push(key + '=' + part.slice(key.length + 1));
            }
        });
        return parsed;
    }

    /* The stored name of the environments that match `values` and are selected (the page's address holds
       the selection where it is not everything), if they all have the same one. */
    function environmentLabel(values) {
        var index = $.asv.main_json;
        var selected = $.asv.parse_hash_string(window.location.hash).params;
        var labels = [];
        $.each(index.graph_param_list, function (i, params) {
            var matches = Object.keys(values).every(function (key) { return String(params[key]) === values[key]; }) &&
                Object.keys(index.params).every(function (key) {
                    return !selected[key] || selected[key].indexOf(params[key]) !== -1;
                });
            var label = (index.environment_labels || [])[i];
            if (matches && label && labels.indexOf(label) === -1) {
                labels.push(label);
            }
        });
        return labels.length === 1 ? labels[0] : null;
    }

    function relabel(label) {
        if (!label) {
            return label;
        }
        var parsed = parseLabel(label);
        var names = Object.keys(parsed.environment);
        if (names.length === 0) {
            return label;
        }
        /* The stored name if the label's values pick out environments of one name; else the same form
           from the values the label has (asv leaves out those that all selected lines share). */
        var environment = environmentLabel(parsed.environment) || RELEASE_PREFIXES
            .filter(function (prefix) { return prefix[0] in parsed.environment; })
            .map(function (prefix) { return prefix[1] + parsed.environment[prefix[0]]; })
            .join(' ');
        var parts = environment ? [environment] : [];
        $.each(names, function (i, key) {
            if (!RELEASE_PREFIXES.some(function (prefix) { return prefix[0] === key; })) {
                parts.push(key + '=' + parsed.environment[key]);
            }
        });
        return parts.concat(parsed.rest).join(' \u00b7 ');
    }

    /* ------------------------------------------------------------------------------------ graphs */

    function legendColumn() {
        var column = $('#cryoet-legend');
        if (column.length === 0) {
            var plotBox = $('#main-graph').parent();
            column = $('<div id="cryoet-legend"/>').css({
                position: 'absolute', top: plotBox.css('top'), bottom: plotBox.css('bottom'), right: 0,
                width: (LEGEND_WIDTH_PX - 10) + 'px', 'overflow-y': 'auto', 'font-size': '11px'
            });
            plotBox.after(column);
        }
        return column;
    }

    var originalPlot = $.plot;
    $.plot = function (placeholder, data, options) {
        placeholder = $(placeholder);
        options = $.extend(true, {}, options);
        /* A line through a single point draws nothing (asv's thumbnails of one commit): draw a dot. */
        $.each(data, function (i, series) {
            if (series.data && series.data.length === 1) {
                series.points = $.extend({show: true, radius: 4, lineWidth: 3}, series.points);
                /* ... below the top edge, where it would be cut in half. */
                options.yaxis = $.extend({autoscaleMargin: 0.25}, options.yaxis);
            }
        });
        /* asv adds lines as their data arrive, so order and colours change from one load to the next:
           sort them by name (versions in numeric order), in the graph and in its overview alike. */
        if (data.length > 1 && data.every(function (series) { return series.label; })) {
            data = data.slice().sort(function (a, b) {
                return relabel(a.label).localeCompare(relabel(b.label), 'en', {numeric: true});
            });
        }
        if (placeholder.attr('id') === 'main-graph') {
            /* The plot keeps its size whether the legend shows or not: the legend never covers it. */
            var column = legendColumn().empty();
            placeholder.parent().css('right', LEGEND_WIDTH_PX + 'px');
            options.legend = $.extend(options.legend || {}, {
                container: column,
                noColumns: 1,
                labelFormatter: function (label) { return escapeHtml(relabel(label)); }
            });
        }
        return originalPlot.call(this, placeholder, data, options);
    };
    $.extend($.plot, originalPlot);

    /* The environment selectors: a version, not an interpreter's path; "(existing)", not "[none]". */
    $(document).ready(function () {
        var makePanel = $.asv.ui.make_value_selector_panel;
        $.asv.ui.make_value_selector_panel = function (nav, heading, values, setup) {
            var labels = ($.asv.main_json.param_labels || {})[heading];
            if (!labels) {
                return makePanel.apply(this, arguments);
            }
            return makePanel.call(this, nav, heading, values, function (i, value, button) {
                setup(i, value, button);
                var label = labels[value === null ? 'null' : String(value)];
                if (label) {
                    button.text(label).attr('title', value === null ? 'not pinned' : value);
                }
            });
        };
    });
})(jQuery);
