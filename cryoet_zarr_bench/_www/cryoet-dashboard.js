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
 * 3. A parameter on the x-axis (the "x-axis" selector: codec, chunks ...).  asv hands flot text
 *    categories drawn as bars ordered by flot's orderBars plugin, which computes each bar's offset from
 *    the categories as if they were numbers: every offset is NaN and nothing is drawn.  Such a graph is
 *    drawn here as a dot per line and category instead, the lines side by side within each category's
 *    band, on a y-axis padded so that no dot sits on the frame.
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
            /* One environment: the parameters alone, written as everywhere else. */
            return parsed.rest.length ? parsed.rest.join(' \u00b7 ') : label;
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

    /* How wide the dots of one category spread, as a share of the category's band. */
    var CATEGORY_SPREAD = 0.7;
    /* How much room the y-axis leaves above and below the dots, as a share of their range. */
    var CATEGORY_Y_MARGIN = 0.08;

    /* The categories of the series' points, in order of first appearance (asv's parameter order). */
    function categoriesOf(data) {
        var categories = [];
        $.each(data, function (i, series) {
            $.each(series.data || [], function (j, point) {
                if (categories.indexOf(point[0]) === -1) {
                    categories.push(point[0]);
                }
            });
        });
        return categories;
    }

    /* A graph with text categories on the x-axis, as numbers flot can place: category k at x = k, the
       series side by side within its band, a dot each; alternate bands shaded. */
    function categoryGraph(data, options) {
        var categories = categoriesOf(data);
        var step = CATEGORY_SPREAD / Math.max(data.length, 1);
        var placed = $.map(data, function (series, i) {
            var offset = (i - (data.length - 1) / 2) * step;
            var points = [];
            $.each(series.data || [], function (j, point) {
                if (point[1] !== null && point[1] !== undefined) {
                    points.push([categories.indexOf(point[0]) + offset, point[1]]);
                }
            });
            return $.extend({}, series, {data: points, bars: {show: false}, lines: {show: false}});
        });
        options.series = {
            lines: {show: false},
            bars: {show: false},
            points: {show: true, radius: Math.max(2, Math.min(5, 40 * step)), lineWidth: 1, fill: 1, fillColor: false},
            shadowSize: 0
        };
        options.xaxis = $.extend(options.xaxis, {
            mode: null,
            min: -0.5,
            max: categories.length - 0.5,
            tickLength: 0,
            ticks: $.map(categories, function (category, k) { return [[k, category]]; })
        });
        options.grid = $.extend(options.grid, {
            markings: $.map(categories, function (category, k) {
                return k % 2 ? [{xaxis: {from: k - 0.5, to: k + 0.5}, color: '#f3f3f3'}] : [];
            })
        });
        var yaxis = options.yaxis;
        if (yaxis && !yaxis.transform && isFinite(yaxis.min) && isFinite(yaxis.max)) {
            var margin = CATEGORY_Y_MARGIN * ((yaxis.max - yaxis.min) || Math.abs(yaxis.max) || 1);
            yaxis.max += margin;
            yaxis.min = yaxis.min === 0 ? 0 : yaxis.min - margin;
        }
        categoryNames = categories;
        return placed;
    }

    /* The categories of the main graph, when it has them: the hover text names the one under the mouse. */
    var categoryNames = null;

    function categoryTooltip(item) {
        var tip = $('#cryoet-tooltip');
        if (item === null || categoryNames === null) {
            tip.remove();
            return;
        }
        if (tip.length === 0) {
            tip = $('<div id="cryoet-tooltip"/>').css({
                position: 'absolute', background: '#fff', border: '1px solid #999', padding: '2px 6px',
                'font-size': '11px', 'pointer-events': 'none', 'z-index': 1000
            }).appendTo('body');
        }
        var benchmark = $.asv.main_json.benchmarks[$.asv.parse_hash_string(window.location.hash).location[0]];
        var value = benchmark ? $.asv.pretty_unit(item.datapoint[1], benchmark.unit) : item.datapoint[1];
        /* The category names and labels are html already (asv escapes them; relabel escapes its own). */
        tip.html(categoryNames[Math.round(item.datapoint[0])] + ': ' + escapeHtml(value) + '<br>' +
                 escapeHtml(relabel(item.series.label)))
            .css({left: item.pageX + 12, top: item.pageY + 12});
    }

    var originalPlot = $.plot;
    $.plot = function (placeholder, data, options) {
        placeholder = $(placeholder);
        options = $.extend(true, {}, options);
        /* A line through a single point draws nothing (asv's thumbnails of one commit): draw a dot. */
        $.each(data, function (i, series) {
            if (series.data && series.data.length === 1) {
                series.points = $.extend({show: true, radius: 4, lineWidth: 3}, series.points);
                /* ... below the top edge, where it would be cut in half, and above the bottom edge (asv's
                   thumbnails start at 0, where a value of 0 would sit). */
                options.yaxis = $.extend({autoscaleMargin: 0.25}, options.yaxis);
                var value = series.data[0][1];
                if (typeof value === 'number' && options.yaxis.min === value) {
                    var room = (Math.abs(value) || 1) * 0.25;
                    options.yaxis.min = value - room;
                    options.yaxis.max = value + room;
                }
            }
        });
        /* asv adds lines as their data arrive, so order and colours change from one load to the next:
           sort them by name (versions in numeric order), in the graph and in its overview alike. */
        if (data.length > 1 && data.every(function (series) { return series.label; })) {
            data = data.slice().sort(function (a, b) {
                return relabel(a.label).localeCompare(relabel(b.label), 'en', {numeric: true});
            });
        }
        /* ... and placed side by side in that order where the x-axis holds categories. */
        if (options.xaxis && options.xaxis.mode === 'categories') {
            data = categoryGraph(data, options);
        } else if (placeholder.attr('id') === 'main-graph') {
            categoryNames = null;
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
        $('#main-graph').on('plothover', function (event, position, item) { categoryTooltip(item); });
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
