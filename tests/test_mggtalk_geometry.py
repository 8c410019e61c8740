"MGGTalk's monocular geometry and symmetric point cloud, through the exported modules: BiNI figures, bad input, the voxel filter against its reference, far-turned faces and empty results."
import numpy as np
import pytest
import torch

from talking_heads import studio
from talking_heads.core import InputError
from talking_heads.face import LABELS
from talking_heads.geometry import hflip_points, intrinsics
from talking_heads.mggtalk.geometry import (HEAD_LABELS, PointCloud, StudioOracle, analytic_surface, bini, facial_point_cloud,
                                            load_estimator, relative_depth_error, surface_point_cloud)
from talking_heads.mggtalk.symmetry import symmetric_completion, voxel_filter, voxel_filter_reference

K48 = intrinsics(90.0, 48, 48, dtype=torch.float64)


@pytest.mark.parametrize("kind", ["sphere", "paraboloid"])
@pytest.mark.parametrize("perspective", [False, True])
def test_bini_recovers_analytic_surfaces(kind, perspective):
    K = K48 if perspective else None
    z, n, m = analytic_surface(kind, 48, K)
    r = bini(n, m, K)
    mean, worst = relative_depth_error(r.depth, z, m, "scale" if perspective else "offset")
    assert r.converged and mean < 0.01 and worst < 0.01


def test_bini_keeps_a_step_sharp_and_the_prior_fixes_the_offset():
    H = 32
    u = np.mgrid[0:H, 0:H][1] + 0.5
    n = np.broadcast_to(np.array([0.2, 0.0, -1.0]) / np.hypot(0.2, 1.0), (H, H, 3)).copy()
    z = 0.2 * u + 6.0 * (u > H / 2) + 3.0
    r = bini(n, None, depth=z, lam=1e-1)
    assert np.abs(r.depth.numpy() - z).max() < 1e-3
    smooth = bini(n, None, depth=z, lam=1e-1, k=0.0)
    assert np.abs(smooth.depth.numpy() - z).max() > 1.0


@pytest.mark.parametrize("bad, match", [
    (lambda n, m: (n * 1.2, m), "not unit"),
    (lambda n, m: (n, torch.zeros_like(m)), "empty"),
    (lambda n, m: (n, m[:-1]), "does not match"),
    (lambda n, m: (n[..., :2], m), r"\[H, W, 3\]"),
    (lambda n, m: (torch.where(m[..., None], torch.nan, n), m), "NaN"),
])
def test_bini_bad_input(bad, match):
    _, n, m = analytic_surface("sphere", 16)
    with pytest.raises(InputError, match=match):
        bini(*bad(n, m))


def test_bini_bad_prior():
    z, n, m = analytic_surface("sphere", 16, intrinsics(30.0, 16, 16, dtype=torch.float64))
    with pytest.raises(InputError, match="does not match"):
        bini(n, m, intrinsics(30.0, 16, 16), depth=z[:8])
    with pytest.raises(InputError, match="positive"):
        bini(n, m, intrinsics(30.0, 16, 16), depth=-z)


@pytest.fixture(scope="module")
def subject():
    return studio.random_subject(5)


def _cloud(subject, yaw, size=64):
    cam = studio.studio_camera(size, "face", yaw_deg=yaw)
    out = studio.render(subject, camera=cam)
    m = torch.isin(out["parsing"], torch.tensor([LABELS[k] for k in HEAD_LABELS]))
    return surface_point_cloud(out["depth"], cam.K, studio.head_camera(cam.c2w, torch.eye(4)), out["rgb"], m), out, cam


def test_studio_head_through_the_oracle_and_bini(subject):
    _, out, cam = _cloud(subject, 20.0)
    pc, est = facial_point_cloud(out["rgb"], StudioOracle(out), cam.K, studio.head_camera(cam.c2w, torch.eye(4)))
    truth = surface_point_cloud(out["depth"], cam.K, studio.head_camera(cam.c2w, torch.eye(4)), out["rgb"], est.mask)
    assert len(pc) == len(truth) > 500
    assert float((pc.xyz - truth.xyz).norm(dim=-1).median()) < 0.002


def test_voxel_filter_matches_reference_on_a_studio_head(subject):
    pc, _, _ = _cloud(subject, 35.0)
    mirrored = hflip_points(pc.xyz)
    for s in (0.003, 0.006):
        keep, stats = voxel_filter(pc.xyz, mirrored, s)
        assert torch.equal(keep, voxel_filter_reference(pc.xyz, mirrored, s))
        assert stats.occluded + stats.occupied + stats.kept == len(pc)


@pytest.mark.parametrize("yaw", [70.0, 90.0, -80.0])
def test_far_turned_face_is_still_completed(subject, yaw):
    pc, _, _ = _cloud(subject, yaw)
    res = symmetric_completion(pc)
    assert res.stats.kept > 0.5 * len(pc)
    side = torch.sign(torch.tensor(yaw))
    assert float((res.mirrored.xyz[:, 0] * side < 0).float().mean()) > 0.9    # the mirror fills the unseen side


def test_empty_results_are_defined():
    g = torch.Generator().manual_seed(0)
    half = torch.rand(200, 3, generator=g) * 0.05 + torch.tensor([0.001, 0.0, 0.0])
    sym = PointCloud(torch.cat([half, hflip_points(half)]), torch.rand(400, 3, generator=g))
    res = symmetric_completion(sym, 0.01)
    assert res.stats.kept == 0 and len(res.mirrored) == 0 and len(res.complete()) == 400
    with pytest.raises(InputError, match="empty"):
        symmetric_completion(PointCloud(torch.zeros(0, 3), torch.zeros(0, 3)))
    with pytest.raises(InputError, match="camera frame"):
        symmetric_completion(PointCloud(half, half, frame="camera"))


def test_missing_estimator_names_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.safetensors"):
        load_estimator(tmp_path / "missing.safetensors")


def test_shipped_estimator_and_refiner(subject):
    from talking_heads.mggtalk.geometry import DepthNormalEstimator, geometry_errors, load_refiner, refiner_sample, studio_sample
    est = load_estimator()
    assert isinstance(est, DepthNormalEstimator)
    s = studio_sample(np.random.default_rng(11), subject, 64)
    e = est(s["rgb"].permute(1, 2, 0), reference_depth=float(s["depth"][s["mask"]].median()))
    torch.testing.assert_close(e.normals.norm(dim=-1), torch.ones(64, 64), rtol=0, atol=1e-4)
    err = geometry_errors(e, s["depth"], s["normals"], s["mask"])
    assert err["mask_iou"] > 0.8 and err["normal_deg"] < 25 and err["depth_mae_mm"] < 15
    r = refiner_sample(s, est)
    with torch.no_grad():
        z = load_refiner()(s["rgb"][None], r["normals"][None], r["depth"][None], r["mask"][None])[0]
    assert torch.isfinite(z).all() and float((z - s["depth"])[r["mask"]].abs().mean()) < 0.015
