/* JupyterLab federated extension with one plugin: nbgrader's Assignment List in Korean.
 *
 * nbgrader 0.9's JupyterLab extension writes its labels as English strings in the DOM and has no
 * translations (it does not use JupyterLab's ITranslator), so the Korean language pack cannot reach
 * it. This plugin rewrites those exact strings, and only inside nbgrader's own widgets (the
 * assignment list, its tab and menu item, its dialogs), as they appear: a MutationObserver sees
 * nbgrader's buttons change ("Fetching...") and lists load. Submission times, which nbgrader shows
 * as "2026-12-03 07:25:38.888132 UTC", are shown in the browser's time zone, as the feedback page
 * shows the course's. Hand-written like serverless-workshop-fonts: it shares no code with
 * JupyterLab, so the container protocol is all it needs. (workshop/lab_fonts.py installs it.)
 */
(function () {
  var NAME = "serverless-workshop-korean";
  var KO = {
    "Assignment List": "과제 목록",
    "Assignments": "과제",
    "Released, downloaded, and submitted assignments for course:": "과정:",
    "Released assignments": "받을 수 있는 과제",
    "Downloaded assignments": "받은 과제",
    "Submitted assignments": "제출한 과제",
    "There are no assignments to fetch.": "받을 과제가 없습니다.",
    "There are no downloaded assignments.": "받은 과제가 없습니다.",
    "There are no submitted assignments.": "제출한 과제가 없습니다.",
    "Fetch": "받기",
    "Fetching...": "받는 중...",
    "Submit": "제출",
    "submitting...": "제출하는 중...",
    "Fetch Feedback": "피드백 받기",
    "Fetching Feedback...": "피드백을 받는 중...",
    "(feedback available to fetch)": "(받을 피드백이 있습니다)",
    "(view feedback)": "(피드백 보기)",
    "Error fetching assignment.": "과제를 받지 못했습니다.",
    "Error submitting assignment.": "과제를 제출하지 못했습니다.",
    "Error fetching feedback.": "피드백을 받지 못했습니다.",
    "Error fetching courses!": "과정 목록을 읽지 못했습니다.",
    "No courses found.": "과정이 없습니다.",
    "Loading, please wait...": "읽는 중입니다. 잠시 기다려 주십시오.",
    "Assignment not submitted:": "과제를 제출하지 못했습니다:",
    "Refresh assignments list": "과제 목록 새로 고침"
  };
  // nbgrader's own widgets, and the places JupyterLab draws their titles and menu items.
  var SCOPE = "#assignments, .nbgrader-ErrorDialog, .nbgrader-SuccessDialog, .jp-Dialog, " +
    ".lm-Menu-itemLabel, .lm-TabBar-tabLabel, .jp-StatusBar-TextItem";
  var STAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)? UTC$/;

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function localTime(m) {
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function translateText(node) {
    var text = node.nodeValue;
    var key = text && text.trim();
    if (!key || !node.parentElement || !node.parentElement.closest(SCOPE)) {
      return;
    }
    var ko = Object.prototype.hasOwnProperty.call(KO, key) ? KO[key] : null;
    if (ko === null) {
      var m = STAMP.exec(key);
      ko = m ? localTime(m) : null;
    }
    if (ko !== null && ko !== key) {
      node.nodeValue = text.replace(key, ko);
    }
  }

  function translateTree(root) {
    if (root.nodeType === 3) {
      translateText(root);
      return;
    }
    if (root.nodeType !== 1) {
      return;
    }
    var inside = root.closest(SCOPE) ? [root] : root.querySelectorAll(SCOPE);
    for (var i = 0; i < inside.length; i++) {
      var walker = document.createTreeWalker(inside[i], NodeFilter.SHOW_TEXT);
      for (var n = walker.nextNode(); n; n = walker.nextNode()) {
        translateText(n);
      }
    }
  }

  function start() {
    translateTree(document.body);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var m = mutations[i];
        if (m.type === "characterData") {
          translateText(m.target);
        }
        for (var j = 0; j < m.addedNodes.length; j++) {
          translateTree(m.addedNodes[j]);
        }
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  }

  var plugin = {
    id: NAME + ":nbgrader-labels",
    description: "nbgrader 과제 목록의 영어 문구를 한국어로 바꿉니다.",
    autoStart: true,
    activate: function () {
      start();
    }
  };

  var registry = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  registry[NAME] = {
    init: function () {},
    get: function (module) {
      if (module !== "./extension") {
        return Promise.reject(new Error(NAME + " has no module " + module));
      }
      return Promise.resolve(function () {
        return { __esModule: true, default: plugin };
      });
    }
  };
})();
