"""The checkers' messages in Korean, and the one switch that picks the language they print in.

Every checker writes each message once, in English, as a template for :func:`_t`::

    _wrong(_t("expected a function, got {type}", type=type(answer).__name__), None, name)

With English on (the default) ``_t`` fills in the template as it stands; with Korean on it fills in the
template's entry in :data:`KOREAN` instead (an entry missing there falls back to the English, and
``tests/test_messages.py`` fails). The language is ``use_language("ko")`` — what the Korean notebooks'
set-up cells call — or else the environment variable ``TLHELPERS_LANGUAGE`` (``en`` or ``ko``), so a grader
can set it from outside; the call wins.

The other way round, :func:`translate_output` turns one English checker line, as an executed English
notebook stores it, into the line the Korean checker prints: it reads the line back into its templates and
values. The values are the answer's own (a type's name, a number, an error), left as they are, except for
the fields named in :data:`FRAGMENT_FIELDS`, which hold a message of their own and are translated in turn.

Like the English, no Korean message says what the answer is.
"""

from __future__ import annotations

import functools
import os
import re
import string

LANGUAGES = ("en", "ko")
ENVIRONMENT_VARIABLE = "TLHELPERS_LANGUAGE"

# Fields whose value is itself a message (made by _t), translated in turn by translate_output.
FRAGMENT_FIELDS = frozenset({"problem", "hint", "label", "counted", "part"})
# Fields whose value is a list joined by one of the catalogue's templates.
JOINED_FIELDS = {"names": " or "}

# The four messages a checker's line ends with, after the exercise's name and ": ".
LINE_TEMPLATES = (
    "not attempted yet — replace the `...` with your answer",
    "not quite: {problem}",
    "not quite: {problem} — hint: {hint}",
    "correct!",
)

# The names of the exercises ("exercise 2", "exercise 2 (head)"), as the checkers' defaults and the
# notebooks' check cells give them.
KOREAN_NAMES: dict[str, str] = {
    "exercise {number}": "연습문제 {number}",
    "exercise {number} ({part})": "연습문제 {number} ({part})",
    "head": "헤드",
    "frozen backbone": "고정된 백본",
    "hidden test": "숨겨진 테스트",
}

KOREAN: dict[str, str] = {
    # --- what every line ends with (checks.py) ---
    "not attempted yet — replace the `...` with your answer": "아직 풀지 않았습니다 — `...` 자리에 답을 넣으세요",
    "not quite: {problem}": "아직 정답이 아닙니다: {problem}",
    "not quite: {problem} — hint: {hint}": "아직 정답이 아닙니다: {problem} — 힌트: {hint}",
    "correct!": "정답입니다!",
    # --- the generic checkers (checks.py) ---
    "expected numbers, got {type}": "숫자나 배열이 와야 합니다 (받은 것: {type})",
    "expected a number, got {type}": "숫자가 와야 합니다 (받은 것: {type})",
    "expected text, got {type}": "문자열이 와야 합니다 (받은 것: {type})",
    "expected shape {expected}, got {shape}": "shape가 {expected}이어야 합니다 (받은 것: {shape})",
    "expected {expected} dimensions {shown}, got {actual}: {shape}": (
        "{expected}차원 {shown}이어야 합니다 (받은 것: {actual}차원, {shape})"
    ),
    "expected a tensor, an array or a shape, got {type}": "텐서, 배열 또는 shape가 와야 합니다 (받은 것: {type})",
    "the answer contains NaN": "답에 NaN이 들어 있습니다",
    "the answer is NaN": "답이 NaN입니다",
    "{value} is too high": "{value}은(는) 너무 큽니다",
    "{value} is too low": "{value}은(는) 너무 작습니다",
    "too high": "너무 큽니다",
    "too low": "너무 작습니다",
    "{wrong} of {total} values are off, the first at index {index}": (
        "값 {total}개 중 {wrong}개가 틀렸습니다 (첫 번째는 인덱스 {index})"
    ),
    "{answer} is not the answer": "{answer}은(는) 답이 아닙니다",
    "expected a list of {length} items, got {type}": "항목 {length}개의 리스트가 와야 합니다 (받은 것: {type})",
    "expected {expected} items, got {actual}": "항목이 {expected}개여야 합니다 (받은 것: {actual}개)",
    "mismatch at {counted}, the first is {first}": "{counted}에서 다릅니다 (첫 번째는 {first})",
    "{number} position": "위치 {number}곳",
    "{number} positions": "위치 {number}곳",
    "an answer of type {type} cannot be compared": "{type} 타입의 답은 비교할 수 없습니다",
    "{answer} is not one of the options": "{answer}은(는) 보기에 없습니다",
    "pick one of {options}": "다음 중 하나를 고르세요: {options}",
    "{answer} is not the best option": "{answer}은(는) 가장 알맞은 보기가 아닙니다",
    "expected a torch.nn.Module, got {type}": "torch.nn.Module이 와야 합니다 (받은 것: {type})",
    "replace the last layer with nn.Linear(in_features, num_classes)": (
        "마지막 층을 nn.Linear(in_features, num_classes)로 바꾸세요"
    ),
    "the model has no nn.Linear (or 1x1 nn.Conv2d) layer to act as a head": (
        "모델에 헤드 역할을 할 nn.Linear(또는 1x1 nn.Conv2d) 층이 없습니다"
    ),
    "the head `{path}` outputs {actual} scores, not {expected}": (
        "헤드 `{path}`의 출력 점수가 {expected}개가 아니라 {actual}개입니다"
    ),
    "the model fails on one {shape} image ({error})": "모델이 {shape} 이미지 한 장에서 오류를 냅니다 ({error})",
    "one image gives output shape {shape}, not (1, {num_classes})": (
        "이미지 한 장의 출력 shape가 (1, {num_classes})이 아니라 {shape}입니다"
    ),
    "the model has no nn.Linear (or 1x1 nn.Conv2d) head": "모델에 nn.Linear(또는 1x1 nn.Conv2d) 헤드가 없습니다",
    "no parameters are named {names}": "이름이 {names}인 파라미터가 없습니다",
    " or ": " 또는 ",
    "requires_grad is True for {counted} outside {where} (e.g. {example})": (
        "{where} 밖의 {counted}에서 requires_grad가 True입니다 (예: {example})"
    ),
    "requires_grad is False for {counted} of {where} (e.g. {example})": (
        "{where}의 {counted}에서 requires_grad가 False입니다 (예: {example})"
    ),
    "{number} parameter tensor": "파라미터 텐서 {number}개",
    "{number} parameter tensors": "파라미터 텐서 {number}개",
    "set requires_grad = False on every parameter of the backbone": (
        "백본의 모든 파라미터에 requires_grad = False를 설정하세요"
    ),
    "the new head must train: freeze the backbone before replacing the head": (
        "새 헤드는 학습되어야 합니다: 헤드를 바꾸기 전에 백본을 고정(freeze)하세요"
    ),
    "the shape {shape} has {actual} dimensions, the answer has {expected}": (
        "shape {shape}의 차원 수는 {actual}인데, 정답의 차원 수는 {expected}입니다"
    ),
    "dimension {index} of {shape} is too large": "{shape}의 {index}번 차원이 너무 큽니다",
    "dimension {index} of {shape} is too small": "{shape}의 {index}번 차원이 너무 작습니다",
    "an accuracy is a fraction between 0 and 1": "정확도는 0과 1 사이의 비율입니다",
    "divide by the number of images": "이미지 수로 나누세요",
    # --- notebook 01 · ImageNet and pretrained models ---
    "expected a list of category names, got {type}": "카테고리 이름의 리스트가 와야 합니다 (받은 것: {type})",
    "{item} is not one of the 1,000 categories": "{item}은(는) 1,000개 카테고리에 없습니다",
    "copy the names from `categories`": "`categories`에서 이름을 그대로 가져오세요",
    "{item} does not contain 'shirt'": "{item}에는 'shirt'가 들어 있지 않습니다",
    "some categories are missing": "빠진 카테고리가 있습니다",
    "compare in lower case: `'shirt' in name.lower()`": "소문자로 비교하세요: `'shirt' in name.lower()`",
    "a name appears twice, or not in the order of `categories`": (
        "두 번 나온 이름이 있거나, 순서가 `categories`의 순서와 다릅니다"
    ),
    "expected a tuple of two names, (model, weights)": "(model, weights) 형태로 이름 두 개가 든 튜플이 와야 합니다",
    'e.g. ("resnet50", "IMAGENET1K_V2")': '예: ("resnet50", "IMAGENET1K_V2")',
    "{answer} is not a (model, weights) pair of the zoo": "{answer}은(는) zoo에 있는 (model, weights) 쌍이 아닙니다",
    "take row.model and row.weights": "row.model과 row.weights를 쓰세요",
    "{model} with {weights} has less than 80 % top-1 accuracy": (
        "{model}({weights})의 top-1 정확도가 80 %보다 낮습니다"
    ),
    "accurate enough, but other weights need fewer GFLOPS": (
        "정확도는 충분하지만, GFLOPS가 더 적게 드는 다른 가중치가 있습니다"
    ),
    "take the minimum by row.gflops": "row.gflops가 가장 작은 것을 고르세요",
    "a probability is between 0 and 1": "확률은 0과 1 사이의 값입니다",
    "softmax the logits, then take the largest value": "로짓에 softmax를 적용한 뒤 가장 큰 값을 고르세요",
    "Resize(256), CenterCrop(224), ToImage, ToDtype — no Normalize": (
        "Resize(256), CenterCrop(224), ToImage, ToDtype — Normalize 없이"
    ),
    "far too low": "한참 작습니다",
    "meta['_ops'] is in billions (G) of multiply-adds: multiply by 1e9": (
        "meta['_ops']의 단위는 곱셈-덧셈 10억(G) 번입니다: 1e9를 곱하세요"
    ),
    "3 × forward FLOPs × images × epochs, and a multiply-add is 2 FLOPs": (
        "3 × 순전파 FLOPs × 이미지 수 × 에폭 수이고, 곱셈-덧셈 한 번은 2 FLOPs입니다"
    ),
    # --- notebook 02 · Model anatomy and the fc layer ---
    "expected a torchvision ResNet (a model with `fc`), got {type}": (
        "torchvision ResNet(`fc`가 있는 모델)이 와야 합니다 (받은 것: {type})"
    ),
    "`fc` is a {type}, not an nn.Linear": "`fc`가 nn.Linear가 아니라 {type}입니다",
    "the new `fc` does not take as many features as the backbone gives": (
        "새 `fc`가 받는 특징 수가 백본이 내보내는 특징 수와 다릅니다"
    ),
    "use the old layer's in_features": "원래 층의 in_features를 쓰세요",
    "the new `fc` does not output one score per class ({num_classes})": (
        "새 `fc`가 클래스마다 점수를 하나씩({num_classes}개) 출력하지 않습니다"
    ),
    "expected the logits tensor, got {type}": "로짓 텐서가 와야 합니다 (받은 것: {type})",
    "logits = model(image)": "logits = model(image)로 구하세요",
    "one image, with a batch dimension: shape (1, 3, H, W)": (
        "이미지 한 장이라도 배치 차원이 있어야 합니다: shape (1, 3, H, W)"
    ),
    "expected a tensor or a shape, got {type}": "텐서나 shape가 와야 합니다 (받은 것: {type})",
    "one image: torch.zeros(1, 3, {size}, {size})": "이미지 한 장: torch.zeros(1, 3, {size}, {size})",
    "expected a list of class names, got {type}": "클래스 이름의 리스트가 와야 합니다 (받은 것: {type})",
    "{item} is not one of the classes": "{item}은(는) 클래스 이름이 아닙니다",
    "not the classes below half": "절반 미만인 클래스들이 아닙니다",
    "a name appears twice, or not in the order of the classes": "이름이 두 번 나오거나, 클래스 순서대로가 아닙니다",
    "count the hits per true class, divide by that class's images": (
        "실제 클래스별로 맞힌 수를 세어 그 클래스의 이미지 수로 나누세요"
    ),
    # --- notebook 03 · Feature extraction ---
    "which of these changes the mode BatchNorm looks at, `module.training`?": (
        "이 중 BatchNorm이 보는 모드인 `module.training`을 바꾸는 것은 무엇일까요?"
    ),
    "fit on the training photos' features.14 features, score on the validation photos'": (
        "학습 사진의 features.14 특징으로 fit하고, 검증 사진의 특징으로 score하세요"
    ),
    "head.eval(), then head(cartoon_features).argmax(dim=1) against the targets": (
        "head.eval() 후 head(cartoon_features).argmax(dim=1)를 정답 레이블(targets)과 비교하세요"
    ),
    "expected a function, got {type}": "함수가 와야 합니다 (받은 것: {type})",
    "it raised {error_type}: {error}": "실행 중 {error_type} 예외가 발생했습니다: {error}",
    "the classifier was in eval mode while training (its Dropout would be off)": (
        "학습하는 동안 분류기가 eval 모드였습니다 (그러면 Dropout이 꺼집니다)"
    ),
    "model.train() first, then switch only the backbone back": "먼저 model.train()을 호출한 뒤, 백본만 다시 되돌리세요",
    "the model was in train mode while validating": "검증하는 동안 모델이 train 모드였습니다",
    "call model.eval() before validating": "검증하기 전에 model.eval()을 호출하세요",
    "the backbone's BatchNorm running statistics moved during training": (
        "학습하는 동안 백본의 BatchNorm 이동 통계(running statistics)가 바뀌었습니다"
    ),
    "which call sets `training` to False for the modules of model.features only?": (
        "model.features의 모듈에만 `training`을 False로 설정하는 호출은 무엇일까요?"
    ),
    "validation built a gradient graph": "검증하면서 기울기(gradient) 그래프를 만들었습니다",
    "validate inside `with torch.no_grad():`": "`with torch.no_grad():` 안에서 검증하세요",
    "each epoch must go once through the training batches, then once through the validation batches": (
        "에폭마다 학습 배치를 한 번 돌고, 그다음 검증 배치를 한 번 돌아야 합니다"
    ),
    "the weights after training differ from a correct loop's": "학습 후의 가중치가 올바른 루프의 결과와 다릅니다",
    "per batch: optimizer.zero_grad(), loss.backward(), optimizer.step()": (
        "배치마다: optimizer.zero_grad(), loss.backward(), optimizer.step()"
    ),
    "expected a list with one validation accuracy per epoch": "에폭마다 검증 정확도가 하나씩 든 리스트가 와야 합니다",
    "the validation accuracies are off": "검증 정확도가 맞지 않습니다",
    "correct predictions / validation images, per epoch": "에폭마다 맞힌 예측 수 / 검증 이미지 수",
    # --- notebook 04 · Fine-tuning ---
    "expected a torch optimizer, got {type}": "torch 옵티마이저가 와야 합니다 (받은 것: {type})",
    "the optimizer has {counted}, not 2": "옵티마이저의 {counted}입니다 (2개여야 합니다)",
    "{number} parameter group": "파라미터 그룹이 {number}개",
    "{number} parameter groups": "파라미터 그룹이 {number}개",
    'pass a list of two dicts: [{{"params": ..., "lr": ...}}, {{...}}]': (
        'dict 두 개의 리스트를 넘기세요: [{{"params": ..., "lr": ...}}, {{...}}]'
    ),
    "the first group does not hold exactly the classifier's parameters": (
        "첫 번째 그룹에 분류기의 파라미터가 정확히 들어 있지 않습니다"
    ),
    "the second group does not hold exactly the backbone's parameters": (
        "두 번째 그룹에 백본의 파라미터가 정확히 들어 있지 않습니다"
    ),
    "model.features": "model.features의 파라미터",
    "classifier": "분류기",
    "backbone": "백본",
    "the {label}'s learning rate is too high": "{label}의 학습률이 너무 높습니다",
    "the {label}'s learning rate is too low": "{label}의 학습률이 너무 낮습니다",
    "expected two histories: (stage 1's, stage 2's)": "history가 두 개 와야 합니다: (1단계의 것, 2단계의 것)",
    "return the two results of fit": "fit의 결과 두 개를 반환하세요",
    "the stages did not train for head_epochs, then full_epochs epochs": (
        "두 단계가 head_epochs 에폭, 그다음 full_epochs 에폭 동안 학습하지 않았습니다"
    ),
    "expected each stage to go through the training batches once per epoch": (
        "단계마다 에폭당 한 번씩 학습 배치를 돌아야 합니다"
    ),
    "in stage 1 the backbone was trainable": "1단계에서 백본이 학습 가능한 상태였습니다",
    "unfreeze(model, 0) (a frozen backbone) before the first fit": "첫 fit 전에 unfreeze(model, 0) (고정된 백본)",
    "in stage 2 the backbone was still frozen": "2단계에서도 백본이 여전히 고정되어 있었습니다",
    "unfreeze(model, k) with k at least len(backbone_blocks(model))": (
        "k가 len(backbone_blocks(model)) 이상인 unfreeze(model, k)"
    ),
    "the backbone's weights did not change in stage 2": "2단계에서 백본의 가중치가 바뀌지 않았습니다",
    "give stage 2 a new optimizer over the unfrozen parameters (param_groups)": (
        "2단계에는 고정을 푼 파라미터로 새 옵티마이저를 만드세요 (param_groups)"
    ),
    "expected a v2.Compose that starts with a v2.RandomResizedCrop": (
        "v2.RandomResizedCrop으로 시작하는 v2.Compose가 와야 합니다"
    ),
    "the crop is not resized to the size asked for": "크롭이 요구한 크기로 리사이즈되지 않습니다",
    "the crop's area range (scale) is not the one asked for": "크롭의 면적 범위(scale)가 요구한 범위와 다릅니다",
    "there is no random horizontal flip": "무작위 좌우 뒤집기가 없습니다",
    "there is no v2.RandomRotation of up to 15 degrees either way": (
        "양쪽으로 최대 15도까지 돌리는 v2.RandomRotation이 없습니다"
    ),
    "a view of a larger image does not come out at the size asked for": (
        "더 큰 이미지에서 만든 뷰가 요구한 크기로 나오지 않습니다"
    ),
    "four calls gave the same view: the transform is not random": (
        "네 번 호출했는데 같은 뷰가 나왔습니다: 변환이 무작위가 아닙니다"
    ),
    "expected an epoch number (an int), got {type}": "에폭 번호(int)가 와야 합니다 (받은 것: {type})",
    "the run has epochs 1 to {last}": "이 실행의 에폭은 1부터 {last}까지입니다",
    "epoch {answer} does not have the lowest validation loss": "에폭 {answer}의 검증 손실이 가장 낮지 않습니다",
    "history.val_loss — and epochs count from 1, list positions from 0": (
        "history.val_loss — 에폭은 1부터, 리스트의 위치는 0부터 셉니다"
    ),
    # --- notebook 05 · The decision matrix ---
    "expected a count of layers (an int), got {type}": "층의 개수(int)가 와야 합니다 (받은 것: {type})",
    "there are {total} BatchNorm layers": "BatchNorm 층은 {total}개입니다",
    "count the layers where the photos' distance is smaller": "사진 쪽 거리가 더 작은 층을 세세요",
    "{answer} is not one of the amounts measured": "{answer}은(는) 측정한 이미지 수가 아닙니다",
    "one of {amounts}": "다음 중 하나: {amounts}",
    "at some amount from {answer} on, fine-tuning is not ahead": (
        "{answer}장 이상의 어느 지점에서 파인튜닝이 앞서지 못합니다"
    ),
    "fine-tuning is already ahead at every amount from a smaller one on": (
        "더 적은 이미지 수부터 이미 모든 지점에서 파인튜닝이 앞섭니다"
    ),
    "compare the interval with zero and with ±2 points, as section 4 does": (
        "4절처럼 구간을 0, 그리고 ±2포인트와 비교하세요"
    ),
    "a higher score is farther from ImageNet": "점수가 높을수록 ImageNet에서 멉니다",
    "the real runs": "실제 실행 결과",
    "the real runs, a and b swapped": "a와 b를 바꾼 실제 실행 결과",
    "runs in another order with one of b's seeds missing": "순서를 바꾸고 b의 시드 하나를 뺀 실행 결과",
    "on {label} it raised {error_type}: {error}": "{label}에서 {error_type} 예외가 발생했습니다: {error}",
    "on {label}: {problem}": "{label}에서: {problem}",
    "pair the runs by seed; points are 100 × accuracy": "실행 결과를 시드별로 짝지으세요; 포인트는 100 × 정확도입니다",
    # --- notebook 06 · Choosing a pretrained model ---
    "the candidate with the highest logme, its acc against the highest acc, in points (× 100)": (
        "logme가 가장 높은 후보의 acc와 가장 높은 acc의 차이를 포인트(× 100)로"
    ),
    "the same order": "같은 순서",
    "the reverse order": "반대 순서",
    "one swapped pair of four": "네 개 중 한 쌍이 바뀐 순서",
    "two candidates": "후보 두 개",
    "random lists of {n}": "길이 {n}의 무작위 리스트",
    "count the pairs (i < j) whose order agrees in x and y, minus those whose order disagrees, over n(n − 1)/2": (
        "x와 y에서 순서가 일치하는 쌍(i < j)의 수에서 일치하지 않는 쌍의 수를 빼고 n(n − 1)/2로 나누세요"
    ),
}

_chosen: str | None = None  # set by use_language; None: the environment variable decides


def _checked(code: str, source: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"{source}: the language is 'en' (English) or 'ko' (Korean), not {code!r}")
    return code


def use_language(code: str) -> None:
    """Print the checkers' messages in ``code``: ``"en"`` (English) or ``"ko"`` (Korean) from now on."""
    global _chosen
    _chosen = _checked(code, "use_language")


def language() -> str:
    """The language the checkers print in: :func:`use_language`'s, else ``$TLHELPERS_LANGUAGE``'s, else ``"en"``."""
    if _chosen is not None:
        return _chosen
    code = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    return _checked(code, ENVIRONMENT_VARIABLE) if code else "en"


def _t(template: str, **values: object) -> str:
    """The message ``template`` (English, with ``{field}``s) filled in with ``values``, in the chosen language."""
    if language() == "ko":
        template = KOREAN.get(template, template)
    return template.format(**values)


def localised_name(name: str) -> str:
    """An exercise's name ("exercise 2 (head)") in the chosen language; a name the catalogue lacks stays as it is."""
    if language() == "ko":
        return _translate(name, KOREAN_NAMES) or name
    return name


# --- English output back to its templates -------------------------------------------------------


@functools.cache
def _pattern(template: str) -> re.Pattern:
    """A regular expression matching ``template`` filled in, a named group per field."""
    parts, seen = [], set()
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.*?)")
            seen.add(field)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _literal_length(template: str) -> int:
    return sum(len(literal) for literal, *_ in string.Formatter().parse(template))


def _translate(text: str, catalogue: dict[str, str], templates: tuple[str, ...] | None = None) -> str | None:
    """The Korean of ``text``, one of ``templates`` (default: all of ``catalogue``) filled in; None if none fits.

    The most specific template (the most fixed text) that fits, and whose fragment fields translate, wins.
    """
    for template in sorted(templates or catalogue, key=_literal_length, reverse=True):
        match = _pattern(template).match(text)
        if match is None:
            continue
        values = {}
        for field, value in match.groupdict().items():
            if field in FRAGMENT_FIELDS:
                value = _translate(value, catalogue)
                if value is None:
                    break
            elif field in JOINED_FIELDS:
                separator = JOINED_FIELDS[field]
                value = catalogue[separator].join(value.split(separator))
            values[field] = value
        else:
            return catalogue[template].format(**values)
    return None


def _translate_line(line: str) -> str:
    """One line without its newline: ``message`` or ``name: message``, a message of :data:`LINE_TEMPLATES`."""
    starts = [0] + [match.end() for match in re.finditer(": ", line)]
    for start in starts:
        korean = _translate(line[start:], KOREAN, LINE_TEMPLATES)
        if korean is not None:
            name = line[: start - 2]
            return f"{_translate(name, KOREAN_NAMES) or name}: {korean}" if start else korean
    return line


def translate_output(text: str) -> str:
    """The Korean of an English checker's output as an executed notebook stores it (one line or several).

    Lines that are not a checker's (``check_statements``' ``yes``/``NO`` lines among them) stay as they are.
    """
    lines = text.splitlines(keepends=True)
    translated = []
    for line in lines:
        body = line.rstrip("\r\n")
        translated.append(_translate_line(body) + line[len(body) :])
    return "".join(translated)
