"""NeRFFaceSpeech's audio-driven deformation end to end on the studio's head: Audio2Exp -> 3DMM -> plane -> ray samples."""
import math

import numpy as np
import pytest
import torch

from talking_heads.core import InputError
from talking_heads.face import EXP, embedded_face_model
from talking_heads.nerffacespeech.blending import mouth_masks, render_frames
from talking_heads.nerffacespeech.deformation import (DeformConfig, RayDeformer, audio_expressions, audio_faces,
                                                      nearest_vertex, nearest_vertex_loop, pixels_to_plane,
                                                      plane_half_extent, plane_to_pixels, vertices_to_plane,
                                                      visible_vertices)
from talking_heads.nerffacespeech.stylenerf import StyleNeRFGenerator, camera_pose
from talking_heads.studio import default_subject, render, studio_camera


@pytest.fixture(scope="module")
def model():
    return embedded_face_model()


@pytest.fixture(scope="module")
def prior():
    torch.manual_seed(0)
    G = StyleNeRFGenerator("tiny").eval()
    ws = G.mapping(torch.randn(1, G.cfg.z_dim)).detach()
    return G, ws


def _open(amount: float) -> torch.Tensor:
    b = torch.zeros(64)
    b[EXP["jaw_open"]] = amount
    return b


def test_projection_matches_studio_landmarks(model):
    "The plane mapping of projected keypoints lands where the studio draws the landmarks, for a turned head too."
    subj = default_subject()
    for yaw in (0.0, 15.0):
        cam = studio_camera(96, "face", yaw_deg=yaw)
        out = render(subj, _open(0.6), camera=cam)
        V = model.shape(subj.alpha[None], _open(0.6)[None])[0]
        yz = vertices_to_plane(V[model.keypoints], cam.c2w, cam.K, (96, 96), 0.1)
        uv = plane_to_pixels(yz, (96, 96), 0.1)
        assert (uv - out["landmarks2d"]).abs().max() < 0.05


def test_nearest_vertex_chunks_and_ties():
    g = torch.Generator().manual_seed(3)
    pts, verts = torch.rand(2000, 2, generator=g), torch.rand(300, 2, generator=g)
    for chunk in (1, 7, 512, 5000):
        i, d = nearest_vertex(pts, verts, chunk)
        il, dl = nearest_vertex_loop(pts[::40], verts)
        assert torch.equal(i[::40], il) and torch.allclose(d[::40], dl, atol=1e-6)
    i, _ = nearest_vertex(torch.zeros(1, 2), torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
    assert i.item() in (0, 1)


def test_jaw_open_moves_samples_up_below_the_mouth(model):
    "Backward warping: where the open jaw shows the chin, the sample looks up at the closed face."
    cam, cfg = studio_camera(64, "face"), DeformConfig()
    V = audio_faces(model, torch.zeros(model.n_id), torch.stack([_open(0.0), _open(1.0)]))
    vis = visible_vertices(model, V[0], cam.c2w, cfg.vertex_stride)
    P = vertices_to_plane(V[:, vis], cam.c2w, cam.K, (64, 64), 0.105)
    D = RayDeformer(P[0], max_dist=cfg.max_dist)
    disp = D.displacement(P[1])
    chin = P[0][:, 1] < P[0][:, 1].quantile(0.1)          # the lowest tenth of the visible face
    assert disp[chin, 1].mean() > 0                       # z of V_init - V_audio is up for the lowered chin
    far_up = P[0][:, 1] > P[0][:, 1].quantile(0.8)        # the forehead does not move
    assert disp[far_up].abs().max() < 1e-4


def test_deform_reaches_coarse_and_fine_samples(prior):
    G, ws = prior
    wn, _ = G.synthesis.split_ws(ws)
    c2w, bg = camera_pose(torch.tensor([0.0]), torch.tensor([math.pi / 2])), torch.zeros(1, G.cfg.bg_z_dim)
    ref = torch.tensor([[0.0, 0.0]])
    D = RayDeformer(ref, max_dist=None)
    calls = []
    f = D.frame(ref - torch.tensor([[0.0, 0.01]]))           # every sample moves up by 0.01
    def deform(p):
        calls.append(p.shape[1])
        return f(p)
    with torch.no_grad():
        r0 = G.synthesis.render_nerf(wn, c2w, resolution=8, bg_z=bg)
        r1 = G.synthesis.render_nerf(wn, c2w, resolution=8, bg_z=bg, deform=deform)
        r2 = G.synthesis.render_nerf(wn, c2w, resolution=8, bg_z=bg, depths=r0["depths"], deform=deform)
    assert calls == [64 * G.cfg.n_coarse, 64 * 2 * G.cfg.n_coarse, 64 * 2 * G.cfg.n_coarse]
    assert not torch.equal(r1["feat"], r0["feat"])
    moved = r0["points"].clone()
    moved[..., 2] += 0.01
    assert torch.allclose(r2["points"], moved, atol=1e-6)
    # shifting every sample up by 0.01 is seeing the field from a camera raised by 0.01
    c2w_up = c2w.clone()
    c2w_up[:, 2, 3] += 0.01
    with torch.no_grad():
        r3 = G.synthesis.render_nerf(wn, c2w_up, resolution=8, bg_z=bg, depths=r0["depths"])
    assert torch.allclose(r2["sigma"], r3["sigma"], atol=1e-4)


def test_matching_cache_follows_the_samples():
    D = RayDeformer(torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
    a = torch.tensor([[[0.0, 0.1, 0.0]]])
    b = torch.tensor([[[0.0, 0.9, 0.0]]])
    assert D.match(a)[0].item() == 0 and D.match(b)[0].item() == 1 and D.match(a)[0].item() == 0


def test_bad_input():
    with pytest.raises(InputError, match=r"\[V, 2\]"):
        RayDeformer(torch.zeros(5, 3))
    with pytest.raises(InputError, match="V >= 1"):
        nearest_vertex(torch.zeros(3, 2), torch.zeros(0, 2))
    with pytest.raises(InputError, match="mel windows"):
        audio_expressions(torch.nn.Linear(1, 1), np.zeros((0, 80, 16)), np.zeros(64))


def test_audio_clip_drives_a_clip(model, prior):
    "The embedded Audio2Exp on a shipped speech clip, through the 3DMM, the deformation and the blend, to frames."
    from talking_heads.audio import speech_clips
    from talking_heads.audio2exp import audio_windows, load_embedded_audio2exp
    G, ws = prior
    cfg = DeformConfig()
    wav = speech_clips()[0].load()[:16000]                   # the first second
    mels = audio_windows(wav)[:6]
    betas = audio_expressions(load_embedded_audio2exp(), mels, torch.zeros(64), cfg)
    assert betas.shape == (6, 64) and torch.isfinite(betas).all()
    cam = studio_camera(64, "face")
    h = plane_half_extent(G.cfg, cfg)
    V = audio_faces(model, torch.zeros(model.n_id), torch.cat([torch.zeros(1, 64), betas]))
    vis = visible_vertices(model, V[0], cam.c2w, cfg.vertex_stride)
    P = vertices_to_plane(V[:, vis], cam.c2w, cam.K, (64, 64), h)
    D = RayDeformer(P[0], max_dist=cfg.max_dist)
    mouths = mouth_masks(model, V[1:], cam.c2w, cam.K, (64, 64), h, G.cfg.nerf_resolution)
    lip = ws[:, :G.num_ws_nerf].expand(6, -1, -1) + 0.1 * torch.randn(6, G.num_ws_nerf, G.cfg.w_dim)
    c2w = camera_pose(torch.tensor([0.0]), torch.tensor([math.pi / 2]))
    out = render_frames(G, ws, c2w, [D.frame(p) for p in P[1:]], mouths, lip, bg_z=torch.zeros(1, G.cfg.bg_z_dim))
    assert out["img"].shape == (6, 3, 64, 64) and torch.isfinite(out["img"]).all()
    assert out["mouth"].shape == (6, 32, 32)
    assert torch.allclose(out["mouth"][-1], mouths.mean(0), atol=1e-6)   # 6 frames < n = 7: the mean of all


def test_photo_to_frames(model, prior, tmp_path):
    "The front end on a real photo: alignment, fit, PTI (smoke), Audio2Exp, deformation from the fit, blended frames."
    from PIL import Image
    from skimage import data
    from talking_heads.audio2exp import load_embedded_audio2exp
    from talking_heads.fitting import FitConfig
    from talking_heads.nerffacespeech.deformation import clip_deformation
    from talking_heads.nerffacespeech.inversion import InversionConfig, PerceptualLoss, invert, prepare_audio, prepare_photo
    G, _ = prior
    path = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    photo = prepare_photo(path, G.cfg.img_resolution, model, FitConfig.preset("smoke"))
    assert photo.sha256 == prepare_photo(data.astronaut(), G.cfg.img_resolution, model, FitConfig.preset("smoke")).sha256
    inv = invert(G, photo.target, photo.cam2world, photo.sha256, InversionConfig.preset("smoke"), PerceptualLoss(),
                 cache=tmp_path / "pti", progress=False)
    assert invert(G, photo.target, photo.cam2world, photo.sha256, InversionConfig.preset("smoke"), PerceptualLoss(),
                  cache=tmp_path / "pti", progress=False).cached
    mels = prepare_audio(np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1)   # 0.5 s
    betas = audio_expressions(load_embedded_audio2exp(), mels[:4], photo.fit.beta)
    cd = clip_deformation(model, photo.fit, betas, G.cfg)
    mouths = mouth_masks(model, cd.faces, photo.fit.c2w, photo.fit.K, photo.fit.image_size, cd.half_extent,
                         G.cfg.nerf_resolution)
    assert mouths.sum() > 0                                   # the lips land on the feature map
    lip = inv.ws[:, :G.num_ws_nerf].expand(4, -1, -1).clone()
    out = render_frames(inv.G, inv.ws, photo.cam2world, [cd.deform(t) for t in range(len(cd))], mouths, lip, bg_z=inv.bg_z)
    assert out["img"].shape == (4, 3, 64, 64) and torch.isfinite(out["img"]).all()
