"MGGTalk from a studio image to a final frame through the exported modules (geometry, symmetry, deformation, decoders, rasterize, inpainting), and the defined behaviour at the edges."
import numpy as np
import pytest
import torch

from talking_heads import studio
from talking_heads.core import InputError
from talking_heads.mggtalk.decoders import DecoderConfig, MGGTalkNets, MGGTalkRenderer, SymmetricCloud, source_layout
from talking_heads.mggtalk.deformation import expressions_from_video, fill_missing_frames
from talking_heads.mggtalk.geometry import PointCloud, StudioOracle, facial_point_cloud
from talking_heads.mggtalk.inpainting import Compositor, composite, torso_background
from talking_heads.mggtalk.symmetry import symmetric_completion

SIZE = 32


@pytest.fixture(scope="module")
def source():
    subj = studio.random_subject(7)
    cam = studio.studio_camera(SIZE, "face", yaw_deg=25.0)
    beta_s = studio.source_expression(subj)
    out = studio.render(subj, beta_s, camera=cam)
    c2w = studio.head_camera(cam.c2w, torch.eye(4))
    pc, _ = facial_point_cloud(out["rgb"], StudioOracle(out), cam.K, c2w)          # depth + normals -> BiNI -> head-frame cloud
    return dict(out=out, sym=symmetric_completion(pc), K=cam.K, c2w=c2w, beta_s=beta_s, subj=subj)


@pytest.fixture(scope="module")
def renderer(source):
    torch.manual_seed(0)
    s = source
    return MGGTalkRenderer(MGGTalkNets(DecoderConfig.preset("smoke")), device="cpu").setup(s["out"]["rgb"], s["sym"], s["K"], s["c2w"], s["beta_s"])


def test_end_to_end_frame(source, renderer):
    assert len(source["sym"].mirrored) > 0                                           # a turned face: the mirror adds the far side
    beta_d = studio.random_expression(np.random.default_rng(3))
    with torch.no_grad():
        fr = renderer.render(beta_d)
        bg, hole = torso_background(source["out"]["rgb"], source["out"]["parsing"])
        frame = composite(Compositor(8), fr["fine"], fr["fine_alpha"], bg)
    assert frame.shape == (SIZE, SIZE, 3) and torch.isfinite(frame).all() and 0 <= float(frame.min()) <= float(frame.max()) <= 1
    assert fr["coarse"].shape == (SIZE, SIZE, 3) and len(fr["fine_gaussians"]) == 2 * len(fr["gaussians"])
    # the head covers the parsing's head region, the background shows elsewhere
    head = source["out"]["parsing"] == 1
    assert float(fr["fine_alpha"][..., 0][head].mean()) > 0.9
    assert float(fr["fine_alpha"][..., 0][~hole].mean()) < 0.2
    # the untrained decoders keep the source colours: the frame with beta_d = beta_s is close to the source
    with torch.no_grad():
        same = renderer.render(source["beta_s"])
        frame0 = composite(Compositor(8), same["coarse"], same["coarse_alpha"], bg)
    assert float((frame0 - source["out"]["rgb"]).abs().mean()) < 0.08


def test_render_at_another_size(renderer):
    with torch.no_grad():
        fr = renderer.render(torch.zeros(64), size=64, fine=False)
    assert fr["coarse"].shape == (64, 64, 3) and "fine" not in fr


def test_empty_cloud_after_filtering(source):
    s = source
    none = torch.zeros(len(s["sym"].original), dtype=torch.bool)
    empty = SymmetricCloud(s["sym"].original.subset(none), s["sym"].mirrored, s["sym"].stats)
    r = MGGTalkRenderer(MGGTalkNets(DecoderConfig.preset("smoke")), device="cpu")
    with pytest.raises(InputError, match="empty"):
        r.setup(s["out"]["rgb"], empty, s["K"], s["c2w"], s["beta_s"])
    with pytest.raises(InputError, match="empty"):
        symmetric_completion(s["sym"].original.subset(none))
    # every mirrored point filtered away: the head renders from the seen points alone
    no_mirror = SymmetricCloud(s["sym"].original, s["sym"].mirrored.subset(torch.zeros(len(s["sym"].mirrored), dtype=torch.bool)), s["sym"].stats)
    with torch.no_grad():
        fr = r.setup(s["out"]["rgb"], no_mirror, s["K"], s["c2w"], s["beta_s"]).render(s["beta_s"])
    assert len(fr["gaussians"]) == len(s["sym"].original) and fr["fine"].shape == (SIZE, SIZE, 3)


def test_bad_renderer_input(source):
    s = source
    r = MGGTalkRenderer(MGGTalkNets(DecoderConfig.preset("smoke")), device="cpu")
    with pytest.raises(InputError, match="setup"):
        r.render(torch.zeros(64))
    with pytest.raises(InputError, match="divisible by 4"):
        r.setup(s["out"]["rgb"][:30, :30], s["sym"], s["K"], s["c2w"], s["beta_s"])
    o = s["sym"].original
    far = PointCloud(o.xyz, o.rgb, None, o.pixels + SIZE * SIZE, "head")
    with pytest.raises(InputError, match="outside"):
        source_layout(SymmetricCloud(far, s["sym"].mirrored, s["sym"].stats), SIZE, SIZE, s["K"], s["c2w"])
    r.setup(s["out"]["rgb"], s["sym"], s["K"], s["c2w"], s["beta_s"])
    with pytest.raises(InputError, match="beta_d"):
        r.render(torch.zeros(10))
    with pytest.raises(InputError, match="head"):
        torso_background(s["out"]["rgb"], torch.zeros(SIZE, SIZE, dtype=torch.long))


def test_driving_video_with_faceless_frames(source):
    cam = studio.studio_camera(128, "face")
    betas = [studio.random_expression(np.random.default_rng(i)) for i in range(3)]
    lms = np.stack([studio.render(source["subj"], b, camera=cam)["landmarks2d"].numpy() for b in betas])
    lms[1] = np.nan                                                                   # the detector found no face in frame 1
    found = np.isfinite(lms).all((1, 2))
    filled, which = fill_missing_frames(lms, found)
    assert which.tolist() == [1] and np.isfinite(filled).all()
    exp, which = expressions_from_video(lms, found, (128, 128))
    assert exp.shape == (3, 64) and torch.isfinite(exp).all() and which.tolist() == [1]
    with pytest.raises(InputError, match="no face"):
        fill_missing_frames(lms, np.zeros(3, bool))
