"The exported geometry and rendering modules, used as the rest of the repository uses them (not the notebook cells)."
import math

import pytest
import torch

from talking_heads.core import InputError
from talking_heads import geometry as geo
from talking_heads.rendering import (OccupancyGridConfig, OccupancyGrid, RendererConfig, VolumeRenderer, composite,
                                     sample_pdf)


def test_composite_contract_and_slab():
    sig = torch.full((2, 5), 2.0, dtype=torch.float64)
    rgb, depth, acc, w = composite(sig, torch.ones(2, 5, 3, dtype=torch.float64), torch.full((2, 5), 0.1, dtype=torch.float64),
                                   background=0.5)
    assert rgb.shape == (2, 3) and depth.shape == (2,) and acc.shape == (2,) and w.shape == (2, 5)
    torch.testing.assert_close(1 - acc, torch.full((2,), math.exp(-1.0), dtype=torch.float64))
    torch.testing.assert_close(w.sum(-1), acc)
    with pytest.raises(InputError, match="rgbs"):
        composite(sig, torch.ones(2, 4, 3), torch.ones(2, 5))


def test_pose_conventions_round_trip():
    c2w = geo.look_at([0.4, 0.3, 2.0], target=[0.0, 0.1, 0.0])
    torch.testing.assert_close(geo.from_ngp(geo.to_ngp(c2w, 4.0, (0.0, 0.1, 0.0)), 4.0, (0.0, 0.1, 0.0)), c2w)
    torch.testing.assert_close(geo.hflip_pose(geo.hflip_pose(c2w)), c2w)
    K = geo.intrinsics(40.0, 32, 24)
    o, d = geo.pixel_rays(c2w, K, torch.tensor([5, 100, 700]), 32)
    uv, _ = geo.project_points(o + 2.0 * d, c2w, K)
    torch.testing.assert_close(uv, geo.index_to_uv(torch.tensor([5, 100, 700]), 32), atol=1e-3, rtol=0)


def test_marched_render_skips_empty_space_and_misses():
    centre = torch.tensor([0.0, 0.0, 0.0])

    def field(x, dirs):
        return 5.0 * ((x - centre).norm(dim=-1) < 0.4).float(), torch.ones(len(x), 3) * 0.3

    grid = OccupancyGrid(OccupancyGridConfig.preset("smoke")).build(lambda x: field(x, None)[0])
    o, d = (v.reshape(-1, 3) for v in geo.image_rays(geo.look_at([0.0, 0.0, 2.5]), geo.intrinsics(20.0, 16, 16), 16, 16))
    o = torch.cat([o, torch.tensor([[0.0, 0.0, 3.0]])]); d = torch.cat([d, torch.tensor([[0.0, 0.0, 1.0]])])  # + a miss
    cfg = RendererConfig.preset("smoke", sampler="deterministic", n_samples=64)
    dense = VolumeRenderer(cfg).render(o, d, field, background=1.0)
    marched = VolumeRenderer(cfg, grid).render(o, d, field, background=1.0)
    assert marched["n_evaluated"] < dense["n_evaluated"]
    assert int((marched["deltas"] > 0).sum(-1).max()) <= cfg.max_samples
    assert not bool(marched["hit"][-1]) and float(marched["acc"][-1]) == 0.0
    torch.testing.assert_close(marched["rgb"][-1], torch.ones(3))
    assert float((marched["acc"] - dense["acc"]).abs().mean()) < 0.05   # different lattices, same ball


def test_sample_pdf_zero_bins_get_nothing():
    s = sample_pdf(torch.tensor([[0.0, 1.0, 2.0, 3.0]]), torch.tensor([[1.0, 0.0, 1.0]]), 1000,
                   generator=torch.Generator().manual_seed(0))
    assert not bool(((s > 1.0) & (s < 2.0)).any())
