import math

import pytest
import torch

from lungseg.training.losses import (
    bce_loss,
    dice_bce_loss,
    distill_loss,
    get_loss,
    soft_dice_loss,
    weighted_bce_loss,
)


def test_bce_by_hand():
    logits = torch.tensor([0.0, 2.0]).view(1, 1, 1, 2)
    target = torch.tensor([1.0, 0.0]).view(1, 1, 1, 2)
    expected = (math.log(2) + math.log(1 + math.e**2)) / 2
    assert bce_loss(logits, target).item() == pytest.approx(expected, rel=1e-5)


def test_soft_dice_by_hand():
    logits = torch.tensor([0.0, 0.0]).view(1, 1, 1, 2)  # p = 0.5, 0.5
    target = torch.tensor([1.0, 0.0]).view(1, 1, 1, 2)
    # (2 * 0.5 + 1) / (1.0 + 1 + 1) = 2/3
    assert soft_dice_loss(logits, target).item() == pytest.approx(1 - 2 / 3, rel=1e-5)
    perfect = torch.tensor([20.0, -20.0]).view(1, 1, 1, 2)
    assert soft_dice_loss(perfect, target).item() == pytest.approx(0.0, abs=1e-6)


def test_dice_bce_is_the_sum_and_gradients_are_finite():
    logits = torch.randn(2, 1, 8, 8, requires_grad=True)
    target = (torch.rand(2, 1, 8, 8) > 0.5).float()
    loss = dice_bce_loss(logits, target)
    assert loss.item() == pytest.approx((soft_dice_loss(logits, target) + bce_loss(logits, target)).item())
    loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_unknown_loss():
    with pytest.raises(ValueError, match="dice_bce"):
        get_loss("focal")


def test_weighted_ce_by_hand_and_unit_weights_equal_bce():
    logits = torch.tensor([0.0, 2.0]).view(1, 1, 1, 2)
    target = torch.tensor([1.0, 0.0]).view(1, 1, 1, 2)
    weight = torch.tensor([3.0, 1.0]).view(1, 1, 1, 2)
    expected = (3 * math.log(2) + math.log(1 + math.e**2)) / 2
    assert weighted_bce_loss(logits, target, weight).item() == pytest.approx(expected, rel=1e-5)
    loss = get_loss("weighted_ce")
    assert loss(logits, target, torch.ones_like(weight)).item() == pytest.approx(bce_loss(logits, target).item())
    with pytest.raises(ValueError, match="weight map"):
        loss(logits, target, None)


def test_every_loss_has_finite_gradients():
    target = (torch.rand(2, 1, 8, 8) > 0.5).float()
    weight = torch.rand(2, 1, 8, 8) * 10
    for name in ("bce", "dice", "dice_bce", "weighted_ce"):
        logits = (torch.randn(2, 1, 8, 8) * 30).requires_grad_()
        get_loss(name)(logits, target, weight).backward()
        assert torch.isfinite(logits.grad).all(), name


def test_two_target_loss_counts_the_heart_only_where_it_is_known():
    from lungseg.training.losses import two_target_loss

    torch.manual_seed(0)
    logits, target = torch.randn(3, 2, 4, 4), (torch.rand(3, 2, 4, 4) > 0.5).float()
    plain = get_loss("bce")
    lung = bce_loss(logits[:, :1], target[:, :1]).item()
    none = two_target_loss(plain, logits, target, None, torch.zeros(3))
    assert none.item() == pytest.approx(lung)
    rows = torch.tensor([1.0, 0.0, 1.0])
    heart = bce_loss(logits[[0, 2], 1:], target[[0, 2], 1:]).item()
    some = two_target_loss(plain, logits, target, None, rows, heart_weight=0.5)
    assert some.item() == pytest.approx(lung + 0.5 * heart)
    weights = torch.ones(3, 2, 4, 4)
    assert two_target_loss(get_loss("weighted_ce"), logits, target, weights, rows, 0.5).item() == pytest.approx(
        some.item()
    )


def test_two_target_loss_scores_the_heart_with_its_own_loss_when_given():
    from lungseg.training.config import TrainConfig
    from lungseg.training.losses import dice_bce_loss, two_target_loss

    torch.manual_seed(1)
    logits, target = torch.randn(2, 2, 4, 4), (torch.rand(2, 2, 4, 4) > 0.5).float()
    weights = torch.full((2, 2, 4, 4), 3.0)  # the lungs' weighted CE: 3x plain BCE; the heart's Dice+BCE ignores it
    rows = torch.ones(2)
    got = two_target_loss(get_loss("weighted_ce"), logits, target, weights, rows, 1.0, get_loss("dice_bce"))
    want = 3 * bce_loss(logits[:, :1], target[:, :1]) + dice_bce_loss(logits[:, 1:], target[:, 1:])
    assert got.item() == pytest.approx(want.item())
    with pytest.raises(ValueError, match="heart_loss"):
        TrainConfig(heart_loss="focal")


def test_heart_exclusion_weighs_only_a_known_heart_where_no_lung_is():
    from lungseg.training.losses import heart_excluded, two_target_loss

    target = torch.zeros(2, 2, 1, 4)
    target[:, 0, 0, :2] = 1  # lung in columns 0-1
    target[:, 1, 0, 1:3] = 1  # heart in columns 1-2: column 1 is both, column 2 heart only
    weight = torch.full((2, 1, 1, 4), 2.0)
    got = heart_excluded(weight, target, torch.tensor([1.0, 0.0]), 3.0)
    assert got[0, 0, 0].tolist() == [2.0, 2.0, 6.0, 2.0]  # only the known heart's lung-free pixel
    assert got[1, 0, 0].tolist() == [2.0] * 4  # no heart mask for this image: unchanged
    assert weight[0, 0, 0, 2] == 2.0  # the input is left alone
    logits = torch.zeros(2, 2, 1, 4)  # every pixel costs log 2: the lung term is the mean weight x log 2
    weights = torch.cat([weight, torch.ones(2, 1, 1, 4)], 1)
    rows = torch.tensor([1.0, 0.0])
    for factor, mean_weight in ((1.0, 2.0), (3.0, 20 / 8)):  # the weights (2, 2, 6, 2) and (2, 2, 2, 2)
        lung = two_target_loss(get_loss("weighted_ce"), logits, target, weights, rows, 0.0, heart_exclusion=factor)
        assert lung.item() == pytest.approx(mean_weight * math.log(2), rel=1e-5)


def test_distill_loss_by_hand_and_its_pull_toward_the_teacher():
    zeros = torch.zeros(2, 2, 4, 4)
    assert distill_loss(zeros, zeros).item() == pytest.approx(math.log(2))  # p = q = 1/2: the entropy of a coin
    teacher = torch.full((1, 1, 2, 2), 3.0)
    q = 1 / (1 + math.exp(-3.0))
    student = torch.zeros(1, 1, 2, 2, requires_grad=True)
    loss = distill_loss(student, teacher)
    assert loss.item() == pytest.approx(math.log(2))  # -q log 1/2 - (1 - q) log 1/2
    loss.backward()
    assert torch.allclose(student.grad, torch.full_like(student, (0.5 - q) / 4))  # d/dx mean BCE = (p - q) / n
    same = distill_loss(teacher, teacher).item()
    assert same == pytest.approx(-(q * math.log(q) + (1 - q) * math.log(1 - q)), rel=1e-5)  # its minimum
