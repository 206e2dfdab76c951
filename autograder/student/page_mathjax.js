/* MathJax 2 settings of every page that shows a notebook (the submission PDF, the feedback pages, any
   grading page), set as window.MathJax before MathJax.js loads.

   Math wider than its box is first broken into lines at operators and relations (automatic line
   breaking); a display that still does not fit (a wide matrix, one long fraction) is then scaled down
   to the box's width. Both happen after each typesetting pass, for the width the box has then: the
   submission PDF is laid out at the printed width before it is typeset (student/pdf.py), and a page
   typeset in a window wider than the paper is shrunk to the paper by the browser when printed. */
(function () {
  // Scale each display whose math is wider than its box down to the box's width.
  function fitDisplays() {
    var displays = document.querySelectorAll(".MathJax_Display");
    for (var i = 0; i < displays.length; i++) {
      var box = displays[i];
      box.style.zoom = "";
      if (box.scrollWidth > box.clientWidth && box.clientWidth > 0) {
        box.style.zoom = String(box.clientWidth / box.scrollWidth);
      }
    }
  }

  window.MathJax = {
    tex2jax: {
      inlineMath: [["$", "$"], ["\\(", "\\)"]],
      displayMath: [["$$", "$$"], ["\\[", "\\]"]],
      processEscapes: true,
      processEnvironments: true
    },
    TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
    displayAlign: "center",
    messageStyle: "none",
    // jupyter-server-mathjax ships only the STIX-Web fonts: without this MathJax asks for its TeX fonts.
    "HTML-CSS": {
      availableFonts: [],
      preferredFont: null,
      webFont: "STIX-Web",
      imageFont: null,
      linebreaks: {automatic: true}
    },
    CommonHTML: {linebreaks: {automatic: true}},
    SVG: {linebreaks: {automatic: true}},
    AuthorInit: function () {
      MathJax.Hub.Register.MessageHook("End Process", fitDisplays);
    }
  };
})();
